/** SimulationRunner and simulate (docs/QMPT.md §7): time grid, scenarios' dynamics, determinism, errors, regression sets. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulationRunner, simulate } from '../../../qmpt/simulation/core.ts';
import { registerLayerModel, stressProtectionV1 } from '../../../qmpt/simulation/model.ts';
import { buildScenario } from '../../../qmpt/simulation/scenarios.ts';
import type { LayerState, Pattern, ScenarioConfig, SimulationConfig } from '../../../qmpt/types.ts';
import { matchesRegression } from '../../support/regression.ts';
import { expectThrows } from '../../support/errors.ts';

const fails = (run: () => unknown, includes: string[], code = 'CONFIG'): void => void expectThrows(run, { includes, code });

/** config/simulation_default.yaml's run, without its interventions. */
const BASE: SimulationConfig = { layer_id: 'L1', dt: 0.1, t_end: 60, model_id: 'stress_protection_v1', seed: 7, params: {}, interventions: [] };
const scenario = (kind: ScenarioConfig['kind'], anomalous: number): ScenarioConfig => ({ kind, patterns: 20, anomalous, seed: 11 });
const meanStress = (tr: readonly LayerState[]): number => tr.reduce((s, x) => s + x.stress!, 0) / tr.length;

function pattern(id: string, anomaly: number | null, reflexivity: number | null): Pattern {
  return { pattern_id: id, layer_id: 'L1', metadata: {}, features: null, anomaly_score: anomaly, reflexivity, self_operator: null, components: null, feature_spec_version: null, metrics_version: null };
}

function runOn(list: Pattern[], overrides: Partial<SimulationConfig> = {}): LayerState[] {
  return simulate({ ...BASE, ...overrides }, { patterns: new Map(list.map((p) => [p.pattern_id, p])) }).trajectory;
}

test('time grid: round(t_end/dt) + 1 states at i·dt rounded to 1e-9, the first the initial state', () => {
  const tr = simulate({ ...BASE, scenario: scenario('baseline', 0) }).trajectory;
  assert.is(tr.length, 601);
  for (let i = 0; i < tr.length; i++) assert.is(tr[i]!.t, Math.round(i * 0.1 * 1e9) / 1e9);
  assert.is(tr[3]!.t, 0.3);
  assert.is(tr.at(-1)!.t, 60);
  assert.equal([tr[0]!.stress, tr[0]!.protection, tr[0]!.macro_state.coherence], [0.1, 0.8, 0.5]);
  assert.equal(Object.keys(tr[1]!.macro_state).sort(), ['coherence', 'load', 'n_anomalous', 'n_patterns', 'regime']);
  // t_end not a multiple of dt: round(1/0.3) = 3 steps
  const short = simulate({ ...BASE, t_end: 1, dt: 0.3, scenario: scenario('baseline', 0) }).trajectory;
  assert.equal(short.map((s) => s.t), [0, 0.3, 0.6, 0.9]);
});

test('baseline: no load, stress relaxes to its equilibrium 0 and protection to P*', () => {
  const quiet = simulate({ ...BASE, params: { noise: 0 }, scenario: scenario('baseline', 0) }).trajectory;
  for (const s of quiet) assert.is(s.macro_state.load, 0);
  for (let i = 1; i < quiet.length; i++) assert.ok(quiet[i]!.stress! < quiet[i - 1]!.stress!, `σ falls at ${i}`);
  assert.ok(quiet.at(-1)!.stress! < 1e-4);
  assert.ok(Math.abs(quiet.at(-1)!.protection! - 0.8) < 0.01);
  assert.is(quiet.at(-1)!.macro_state.regime, 'stable');
  const noisy = simulate({ ...BASE, scenario: scenario('baseline', 0) }).trajectory;
  assert.ok(meanStress(noisy.slice(300)) < 0.03, String(meanStress(noisy.slice(300))));
});

test('one anomaly stresses the layer above baseline, several more (same seeds)', () => {
  const base = meanStress(simulate({ ...BASE, scenario: scenario('baseline', 0) }).trajectory);
  const single = simulate({ ...BASE, scenario: scenario('single_anomaly', 1) }).trajectory;
  const multiple = simulate({ ...BASE, scenario: scenario('multiple_anomalies', 3) }).trajectory;
  assert.ok(meanStress(single) > base + 0.2, `${meanStress(single)} vs ${base}`);
  assert.ok(meanStress(multiple) > meanStress(single) + 0.05, `${meanStress(multiple)} vs ${meanStress(single)}`);
  assert.ok((multiple[1]!.macro_state.load as number) > (single[1]!.macro_state.load as number));
  assert.is(multiple[1]!.macro_state.n_anomalous, 3);
  assert.ok(multiple.at(-1)!.protection! < single.at(-1)!.protection!, 'stress erodes protection');
});

test('a more reflexive anomaly loads the layer less', () => {
  const ordinary = [pattern('p-1', 0.4, 0.3), pattern('p-2', 0.5, 0.3)];
  const low = runOn([...ordinary, pattern('a', 0.92, 0.1)]);
  const high = runOn([...ordinary, pattern('a', 0.92, 0.9)]);
  assert.ok((high[0]!.macro_state.load as number) < (low[0]!.macro_state.load as number));
  assert.ok(meanStress(high) < meanStress(low) - 0.05, `${meanStress(high)} vs ${meanStress(low)}`);
});

test('determinism: same seed identical, another seed different with noise, the same without', () => {
  const cfg: SimulationConfig = { ...BASE, t_end: 20, scenario: scenario('single_anomaly', 1) };
  const make = (c: SimulationConfig): SimulationRunner => {
    const { layer, patterns } = buildScenario(c.scenario!, c.layer_id);
    return new SimulationRunner({ config: c, layer, patterns });
  };
  const a = make(cfg).run();
  assert.equal(make(cfg).run(), a);
  const runner = make(cfg);
  runner.run();
  assert.equal(runner.run(), a, 'run() twice on one runner');
  assert.not.equal(make({ ...cfg, seed: 8 }).run(), a);
  const quiet = { ...cfg, params: { noise: 0 } };
  assert.equal(make({ ...quiet, seed: 8 }).run(), make(quiet).run());
});

test('step() is the run one state at a time, advancing the runner', () => {
  const cfg: SimulationConfig = { ...BASE, t_end: 2, scenario: scenario('single_anomaly', 1), interventions: [{ t: 1, kind: 'stress_shock', value: 0.2 }] };
  const { layer, patterns } = buildScenario(cfg.scenario!, cfg.layer_id);
  const whole = new SimulationRunner({ config: cfg, layer, patterns }).run();
  assert.is(layer.state_trajectory, whole, 'stored on the layer');
  const runner = new SimulationRunner({ config: cfg, layer, patterns });
  let s = runner.initialState();
  const stepped = [s];
  for (let i = 0; i < 20; i++) stepped.push((s = runner.step(s, s.t)));
  assert.equal(stepped, whole);
});

test('interventions given to the runner replace config.interventions', () => {
  const cfg: SimulationConfig = { ...BASE, t_end: 2, scenario: scenario('single_anomaly', 1), interventions: [{ t: 1, kind: 'stress_shock', value: 0.2 }] };
  const { layer, patterns } = buildScenario(cfg.scenario!, cfg.layer_id);
  const tr = new SimulationRunner({ config: cfg, layer, patterns, interventions: [] }).run();
  assert.ok(tr.every((s) => s.macro_state.interventions === undefined));
});

test('another model registered under its id runs through the same runner', () => {
  registerLayerModel({
    ...stressProtectionV1,
    id: 'test_frozen_v1',
    update: (state) => ({ ...state }),
  });
  const tr = simulate({ ...BASE, model_id: 'test_frozen_v1', t_end: 1, scenario: scenario('single_anomaly', 1) }).trajectory;
  assert.ok(tr.every((s) => s.stress === 0.1 && s.protection === 0.8));
});

test('simulate on given patterns keeps those of its layer', () => {
  const other = { ...pattern('x', 0.99, 0.1), layer_id: 'L2' };
  const r = simulate({ ...BASE, t_end: 1 }, { patterns: new Map([['p', pattern('p', 0.3, 0.3)], ['x', other]]) });
  assert.equal(r.layer.patterns, ['p']);
  assert.is(r.trajectory[1]!.macro_state.load, 0);
});

test('errors name the field or the pattern', () => {
  const sc = scenario('single_anomaly', 1);
  fails(() => simulate({ ...BASE, dt: 0, scenario: sc }), ['simulation.dt']);
  fails(() => simulate({ ...BASE, t_end: -1, scenario: sc }), ['simulation.t_end']);
  fails(() => simulate({ ...BASE, t_end: 0.01, scenario: sc }), ['simulation.t_end', 'no step']);
  fails(() => simulate({ ...BASE, t_end: 1e6, dt: 1e-3, scenario: sc }), ['simulation.t_end', 'at most']);
  fails(() => simulate({ ...BASE, model_id: 'v0', scenario: sc }), ['simulation.model_id', 'known: ']);
  fails(() => simulate({ ...BASE, params: { tau: 2 }, scenario: sc }), ['simulation.params.tau']);
  fails(() => simulate({ ...BASE, seed: Number.NaN, scenario: sc }), ['simulation.seed']);
  fails(() => simulate(BASE), ['simulation.scenario', 'no patterns']);
  fails(() => runOn([pattern('p-1', 0.3, 0.3), pattern('p-2', null, 0.3)]), ['pattern "p-2"', 'anomaly_score = null'], 'RECORD_VALIDATE');
  fails(() => runOn([pattern('p-1', 0.3, Number.NaN)]), ['pattern "p-1"', 'reflexivity'], 'RECORD_VALIDATE');
  fails(() => runOn([{ ...pattern('p-1', 0.3, 0.3), layer_id: 'L2' }]), ['simulation.layer_id', 'none of the 1 given patterns']);
  const { layer, patterns } = buildScenario(sc, 'L1');
  fails(() => new SimulationRunner({ config: { ...BASE, layer_id: 'L7' }, layer, patterns }), ['simulation.layer_id', '"L7"', '"L1"']);
  fails(() => new SimulationRunner({ config: BASE, layer: { ...layer, patterns: [...layer.patterns, 'ghost'] }, patterns }), ['layer.patterns[20]', '"ghost"']);
  const runner = new SimulationRunner({ config: BASE, layer, patterns });
  fails(() => runner.step({ t: 0, stress: null, protection: 0.5, macro_state: { coherence: 0.5 } }, 0), ['state.stress = null'], 'RUNTIME');
  fails(() => runner.step({ t: 0, stress: 0.1, protection: 0.5, macro_state: {} }, 0), ['state.macro_state.coherence'], 'RUNTIME');
  fails(() => runner.step(runner.initialState(), Number.NaN), ['t = NaN'], 'RUNTIME');
});

test('regression sets: the three scenarios of config/simulation_default.yaml, every 10th state', () => {
  const every10 = (tr: LayerState[]): LayerState[] => tr.filter((_, i) => i % 10 === 0);
  matchesRegression('simulation-baseline', every10(simulate({ ...BASE, scenario: scenario('baseline', 0) }).trajectory));
  matchesRegression('simulation-single', every10(simulate({ ...BASE, scenario: scenario('single_anomaly', 1) }).trajectory));
  const withInterventions: SimulationConfig = {
    ...BASE,
    scenario: scenario('multiple_anomalies', 3),
    interventions: [
      { t: 20, kind: 'stress_shock', value: 0.3 },
      { t: 35, kind: 'set_protection', value: 0.9 },
      { t: 45, kind: 'remove_pattern', pattern_id: 'anom-1' },
    ],
  };
  const tr = simulate(withInterventions).trajectory;
  matchesRegression('simulation-multiple', tr.filter((s, i) => i % 10 === 0 || s.macro_state.interventions !== undefined));
});

test.run();
