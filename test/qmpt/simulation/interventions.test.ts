/** Interventions (docs/QMPT.md §7): each kind at the right step, recorded, clipped; validation. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulationRunner } from '../../../qmpt/simulation/core.ts';
import { ActivePatternSet, applyInterventions, scheduleInterventions } from '../../../qmpt/simulation/interventions.ts';
import { resolveStressProtectionParams, stressProtectionDrive, stressProtectionUpdate } from '../../../qmpt/simulation/model.ts';
import { buildScenario } from '../../../qmpt/simulation/scenarios.ts';
import type { Intervention, LayerState, SimulationConfig } from '../../../qmpt/types.ts';
import { expectThrows } from '../../support/errors.ts';

const fails = (run: () => unknown, includes: string[], path?: string): void => void expectThrows(run, path === undefined ? { includes } : { includes, path });

const config = (interventions: Intervention[], noise = 0): SimulationConfig => ({
  layer_id: 'L1',
  dt: 0.1,
  t_end: 10,
  model_id: 'stress_protection_v1',
  seed: 3,
  params: { noise },
  scenario: { kind: 'single_anomaly', patterns: 5, anomalous: 1, seed: 2 },
  interventions,
});

function run(interventions: Intervention[], noise = 0): LayerState[] {
  const cfg = config(interventions, noise);
  const { layer, patterns } = buildScenario(cfg.scenario!, cfg.layer_id);
  return new SimulationRunner({ config: cfg, layer, patterns }).run();
}

/** The index of the state at time t (t on the 0.1 grid). */
const at = (t: number): number => Math.round(t * 10);
const params = resolveStressProtectionParams({ noise: 0 });

/** The drive of the scenario's own five patterns. */
function scenarioDrive(): ReturnType<typeof stressProtectionDrive> {
  const cfg = config([]);
  const { patterns } = buildScenario(cfg.scenario!, cfg.layer_id);
  const list = [...patterns.values()];
  return stressProtectionDrive({ ids: list.map((p) => p.pattern_id), anomaly: Float64Array.from(list, (p) => p.anomaly_score!), reflexivity: Float64Array.from(list, (p) => p.reflexivity!) }, params);
}

function stateOf(s: LayerState): { stress: number; protection: number; coherence: number } {
  return { stress: s.stress!, protection: s.protection!, coherence: s.macro_state.coherence as number };
}

test('stress_shock at t = 5: applied before the step at t = 5, a jump in the state at 5.1, recorded there', () => {
  const plain = run([]);
  const shocked = run([{ t: 5, kind: 'stress_shock', value: 0.3 }]);
  for (let i = 0; i <= at(5); i++) assert.equal(shocked[i], plain[i], `state ${i} before the shock`);
  const before = stateOf(shocked[at(5)]!);
  // the update from the shocked state, by the model itself
  const expected = stressProtectionUpdate({ ...before, stress: before.stress + 0.3 }, scenarioDrive(), params, 0.1, 0);
  assert.equal(stateOf(shocked[at(5.1)]!), expected);
  assert.ok(shocked[at(5.1)]!.stress! - plain[at(5.1)]!.stress! > 0.25, 'a visible jump');
  assert.equal(shocked[at(5.1)]!.macro_state.interventions, [{ kind: 'stress_shock', t: 5, value: 0.3 }]);
  assert.is(shocked[at(5)]!.macro_state.interventions, undefined);
  assert.is(shocked[at(5.2)]!.macro_state.interventions, undefined);
});

test('remove_pattern of the anomaly: load 0 and one pattern fewer from the next state on', () => {
  const tr = run([{ t: 4, kind: 'remove_pattern', pattern_id: 'anom-1' }]);
  assert.ok((tr[at(4)]!.macro_state.load as number) > 0);
  for (let i = at(4.1); i < tr.length; i++) {
    assert.is(tr[i]!.macro_state.load, 0);
    assert.is(tr[i]!.macro_state.n_patterns, 4);
    assert.is(tr[i]!.macro_state.n_anomalous, 0);
  }
  assert.ok(tr.at(-1)!.stress! < tr[at(4)]!.stress!, 'stress relaxes after the removal');
  assert.equal(tr[at(4.1)]!.macro_state.interventions, [{ kind: 'remove_pattern', t: 4, pattern_id: 'anom-1' }]);
});

test('add_pattern: an anomaly added to a layer loads it from then on', () => {
  const tr = run([
    { t: 2, kind: 'remove_pattern', pattern_id: 'anom-1' },
    { t: 6, kind: 'add_pattern', pattern: { pattern_id: 'anom-x', anomaly_score: 0.95, reflexivity: 0 } },
  ]);
  assert.is(tr[at(6)]!.macro_state.load, 0);
  const drive = stressProtectionDrive({ ids: ['x'], anomaly: Float64Array.of(0.95), reflexivity: Float64Array.of(0) }, params);
  assert.is(tr[at(6.1)]!.macro_state.load, drive.load);
  assert.is(tr[at(6.1)]!.macro_state.n_patterns, 5);
  assert.equal(tr[at(6.1)]!.macro_state.interventions, [{ kind: 'add_pattern', t: 6, pattern_id: 'anom-x' }]);
});

test('set_protection and change_protection move P before the update, clipped to [0, 1]', () => {
  const tr = run([
    { t: 3, kind: 'set_protection', value: 0.95 },
    { t: 7, kind: 'change_protection', value: -2 },
  ]);
  const before = stateOf(tr[at(3)]!);
  assert.equal(stateOf(tr[at(3.1)]!), stressProtectionUpdate({ ...before, protection: 0.95 }, scenarioDrive(), params, 0.1, 0));
  // P := 0 (clipped), then the update: P' = 0 + k_recover·P*·dt
  assert.ok(Math.abs(tr[at(7.1)]!.protection! - 0.2 * 0.8 * 0.1) < 1e-15, String(tr[at(7.1)]!.protection));
  assert.equal(tr[at(7.1)]!.macro_state.interventions, [{ kind: 'change_protection', t: 7, value: -2 }]);
});

test('an intervention off the grid applies at the first step with t ≥ its time; same time: in the given order', () => {
  const tr = run([
    { t: 5.05, kind: 'stress_shock', value: 0.1 },
    { t: 5.05, kind: 'stress_shock', value: -0.05 },
  ]);
  assert.is(tr[at(5.1)]!.macro_state.interventions, undefined);
  assert.equal(tr[at(5.2)]!.macro_state.interventions, [
    { kind: 'stress_shock', t: 5.05, value: 0.1 },
    { kind: 'stress_shock', t: 5.05, value: -0.05 },
  ]);
  // at t = 0: applied by the first step, recorded in the state at dt
  const first = run([{ t: 0, kind: 'set_protection', value: 0.1 }]);
  assert.ok(first[1]!.protection! < 0.2);
  assert.ok(Array.isArray(first[1]!.macro_state.interventions));
});

test('applyInterventions clips σ and P and leaves c', () => {
  const set = new ActivePatternSet();
  const sched = scheduleInterventions(
    [
      { t: 0, kind: 'stress_shock', value: 5 },
      { t: 0, kind: 'change_protection', value: -5 },
    ],
    { initialPatternIds: [], lastStepTime: 1 },
  );
  const { state, records } = applyInterventions({ stress: 0.5, protection: 0.5, coherence: 0.3 }, sched, set);
  assert.equal(state, { stress: 1, protection: 0, coherence: 0.3 });
  assert.is(records.length, 2);
});

test('validation: every error names the intervention and its field', () => {
  const ids = ['p-1', 'anom-1'];
  const schedule = (list: Intervention[]): unknown => scheduleInterventions(list, { initialPatternIds: ids, lastStepTime: 9.9 });
  const f = 'simulation.interventions';
  fails(() => schedule([{ t: 4, kind: 'remove_pattern', pattern_id: 'ghost' }]), [`${f}[0].pattern_id`, '"ghost"', 't = 4', 'present: p-1, anom-1'], `${f}[0].pattern_id`);
  fails(
    () =>
      schedule([
        { t: 6, kind: 'remove_pattern', pattern_id: 'anom-1' },
        { t: 2, kind: 'remove_pattern', pattern_id: 'anom-1' },
      ]),
    [`${f}[0].pattern_id`, 't = 6'],
  );
  fails(() => schedule([{ t: 1, kind: 'add_pattern', pattern: { pattern_id: 'p-1', anomaly_score: 0.5, reflexivity: 0.5 } }]), [`${f}[0].pattern.pattern_id`, 'already in the layer']);
  fails(() => schedule([{ t: 1, kind: 'add_pattern' }]), [`${f}[0].pattern`, 'required']);
  fails(() => schedule([{ t: 1, kind: 'add_pattern', pattern: { pattern_id: 'n', anomaly_score: null, reflexivity: 0.5 } }]), [`${f}[0].pattern.anomaly_score`]);
  fails(() => schedule([{ t: 1, kind: 'remove_pattern' }]), [`${f}[0].pattern_id`]);
  fails(() => schedule([{ t: 1, kind: 'set_protection', value: 1.5 }]), [`${f}[0].value`, '[0, 1]']);
  fails(() => schedule([{ t: 1, kind: 'stress_shock', value: Number.NaN }]), [`${f}[0].value`, 'finite']);
  fails(() => schedule([{ t: 1, kind: 'change_protection' }]), [`${f}[0].value`]);
  fails(() => schedule([{ t: -1, kind: 'stress_shock', value: 0.1 }]), [`${f}[0].t`, '>= 0']);
  fails(() => schedule([{ t: 10, kind: 'stress_shock', value: 0.1 }]), [`${f}[0].t`, 'never apply']);
  fails(() => schedule([{ t: 1, kind: 'explode' as Intervention['kind'] }]), [`${f}[0].kind`, 'add_pattern, remove_pattern']);
  // a removal after an add of the same id is fine, and the runner checks at construction
  schedule([
    { t: 1, kind: 'add_pattern', pattern: { pattern_id: 'new', anomaly_score: 0.9, reflexivity: 0.1 } },
    { t: 2, kind: 'remove_pattern', pattern_id: 'new' },
  ]);
  fails(() => run([{ t: 1, kind: 'remove_pattern', pattern_id: 'anom-2' }]), [`${f}[0].pattern_id`, '"anom-2"']);
});

test.run();
