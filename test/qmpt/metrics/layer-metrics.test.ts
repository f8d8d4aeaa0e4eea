/** Measured layer metrics σ_k(t), P_k(t), S_k(t) (docs/QMPT.md §6). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyRegime, layerMetrics, type ScoredObservation } from '../../../qmpt/metrics/layer-metrics.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { LayerMetricsConfig, LayerState } from '../../../qmpt/types.ts';
import { matchesRegression } from '../../support/regression.ts';
import { expectThrows } from '../../support/errors.ts';

const CONFIG: LayerMetricsConfig = { window: 10, step: 5, strained: 0.4, critical: 0.7, breached: 0.5 };
const obs = (obs_id: string, pattern_id: string, timestamp: number, anomaly: number): ScoredObservation => ({ obs_id, pattern_id, timestamp, anomaly });
const TINY = [obs('a', 'A', 1, 0.2), obs('b', 'B', 5, 0.9), obs('c', 'A', 10, 0.5), obs('d', 'C', 15, 0.85), obs('e', 'B', 16, 0.95), obs('f', 'D', 40, 0.1)];
const REFLEX = new Map([
  ['A', 0.2],
  ['B', 0.6],
]);

function state(t: number, stress: number | null, protection: number | null, regime: string, coherence: number | null, nObs: number, nPatterns: number, nAnomalous: number): LayerState {
  return { t, stress, protection, macro_state: { regime, coherence, n_obs: nObs, n_patterns: nPatterns, n_anomalous_patterns: nAnomalous } };
}

/** Numbers to 12 decimals: σ comes from differences of prefix sums, exact to ~n·ε, not to the last bit. */
function rounded(states: LayerState[]): LayerState[] {
  return JSON.parse(JSON.stringify(states, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e12) / 1e12 : v))) as LayerState[];
}

const fails = (run: () => unknown, includes: string[], path?: string): void => void expectThrows(run, path === undefined ? { includes } : { includes, path });

test('by hand: window (t − 10, t] on the grid 5, 10, ..., 40; edges, breached, empty, coherence over known patterns', () => {
  const got = layerMetrics({ scores: TINY, patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8 });
  assert.equal(rounded(got), rounded([
    // (−5, 5]: a, b — P = 0.5 is not below `breached`
    state(5, 0.55, 0.5, 'strained', 0.4, 2, 2, 1),
    // (0, 10]: a, b, c
    state(10, 1.6 / 3, 1 - 1 / 3, 'strained', 0.4, 3, 2, 1),
    // (5, 15]: b at 5 is out (left edge open), d at 15 in (right edge closed); C has no R̂_norm
    state(15, (0.5 + 0.85) / 2, 0.5, 'strained', 0.2, 2, 2, 1),
    // (10, 20]: d, e both breach
    state(20, 0.9, 0, 'breached', 0.6, 2, 2, 2),
    state(25, 0.95, 0, 'breached', 0.6, 1, 1, 1),
    state(30, null, null, 'empty', null, 0, 0, 0),
    state(35, null, null, 'empty', null, 0, 0, 0),
    // D alone: no known R̂_norm → coherence null
    state(40, 0.1, 1, 'stable', null, 1, 1, 0),
  ]));
});

test('from/to: an explicit grid, a window shorter than the step, input order does not matter', () => {
  const got = layerMetrics({ scores: TINY, patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8, from: 2, to: 12 });
  assert.equal(
    got.map((s) => [s.t, s.macro_state.n_obs]),
    [
      [2, 1],
      [7, 2],
      [12, 2],
    ],
  );
  const narrow = layerMetrics({ scores: TINY, patternReflexivity: REFLEX, config: { ...CONFIG, window: 1 }, threshold: 0.8, from: 5, to: 20 });
  assert.equal(
    rounded(narrow).map((s) => [s.t, s.stress]),
    [
      [5, 0.9],
      [10, 0.5],
      [15, 0.85],
      [20, null],
    ],
  );
  const shuffled = new Rng(4).shuffle([...TINY]);
  assert.equal(layerMetrics({ scores: shuffled, patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8 }), layerMetrics({ scores: TINY, patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8 }));
  assert.equal(layerMetrics({ scores: [], patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8 }), []);
  assert.equal(layerMetrics({ scores: [], patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8, from: 0, to: 5 }), [state(0, null, null, 'empty', null, 0, 0, 0), state(5, null, null, 'empty', null, 0, 0, 0)]);
});

test('regimes: thresholds are strict lower bounds, breached overrides stress', () => {
  const th = { strained: 0.4, critical: 0.7, breached: 0.5 };
  assert.is(classifyRegime(0.39, 1, th), 'stable');
  assert.is(classifyRegime(0.4, 1, th), 'strained');
  assert.is(classifyRegime(0.7, 1, th), 'critical');
  assert.is(classifyRegime(0.1, 0.49, th), 'breached');
  assert.is(classifyRegime(0.1, 0.5, th), 'stable');
});

/** Seeded scored observations of one layer: `patterns` patterns, timestamps over [0, span). */
function seeded(n: number, patterns: number, span: number, seed: number): { scores: ScoredObservation[]; reflex: Map<string, number> } {
  const rng = new Rng(seed);
  const scores: ScoredObservation[] = [];
  for (let i = 0; i < n; i++) {
    const p = rng.int(patterns);
    // a few patterns run hot: their observations score high
    const anomaly = p % 17 === 0 ? rng.uniform(0.7, 1) : rng.uniform(0, 0.8);
    scores.push(obs(`o${i}`, `p${p}`, Math.round(rng.uniform(0, span) * 1000) / 1000, anomaly));
  }
  const reflex = new Map<string, number>();
  for (let p = 0; p < patterns; p++) if (p % 3 !== 0) reflex.set(`p${p}`, rng.next());
  return { scores, reflex };
}

/** The same state by the definition, over every observation. */
function naive(scores: readonly ScoredObservation[], reflex: Map<string, number>, t: number, window: number, threshold: number): { stress: number | null; protection: number | null; coherence: number | null; n: number; patterns: number; anomalous: number } {
  const inside = scores.filter((s) => s.timestamp > t - window && s.timestamp <= t);
  if (inside.length === 0) return { stress: null, protection: null, coherence: null, n: 0, patterns: 0, anomalous: 0 };
  const ids = new Set(inside.map((s) => s.pattern_id));
  const known = [...ids].filter((id) => reflex.has(id)).map((id) => reflex.get(id)!);
  return {
    stress: inside.reduce((a, s) => a + s.anomaly, 0) / inside.length,
    protection: 1 - inside.filter((s) => s.anomaly >= threshold).length / inside.length,
    coherence: known.length ? known.reduce((a, b) => a + b, 0) / known.length : null,
    n: inside.length,
    patterns: ids.size,
    anomalous: new Set(inside.filter((s) => s.anomaly >= threshold).map((s) => s.pattern_id)).size,
  };
}

test('100,000 observations: one pass agrees with the definition at sampled grid points', () => {
  const { scores, reflex } = seeded(100_000, 400, 50_000, 9);
  const config: LayerMetricsConfig = { window: 60, step: 10, strained: 0.4, critical: 0.7, breached: 0.5 };
  const got = layerMetrics({ scores, patternReflexivity: reflex, config, threshold: 0.8 });
  assert.is(got[0]!.t, Math.ceil(Math.min(...scores.map((s) => s.timestamp)) / 10) * 10);
  assert.is(got.length, (got.at(-1)!.t - got[0]!.t) / 10 + 1);
  const near = (a: number | null, b: number | null, what: string): void => assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) < 1e-9), `${what}: ${a} vs ${b}`);
  for (let j = 0; j < got.length; j += 97) {
    const s = got[j]!;
    const want = naive(scores, reflex, s.t, 60, 0.8);
    near(s.stress, want.stress, `σ at ${s.t}`);
    near(s.protection, want.protection, `P at ${s.t}`);
    near(s.macro_state.coherence as number | null, want.coherence, `coherence at ${s.t}`);
    assert.equal([s.macro_state.n_obs, s.macro_state.n_patterns, s.macro_state.n_anomalous_patterns], [want.n, want.patterns, want.anomalous], `counts at ${s.t}`);
  }
});

test('regression set: layer-metrics on seeded observations', () => {
  const { scores, reflex } = seeded(2000, 30, 600, 21);
  matchesRegression('layer-metrics', layerMetrics({ scores, patternReflexivity: reflex, config: { window: 30, step: 15, strained: 0.4, critical: 0.7, breached: 0.5 }, threshold: 0.75 }));
});

test('errors name the field', () => {
  const run = (over: Partial<Parameters<typeof layerMetrics>[0]>): unknown => layerMetrics({ scores: TINY, patternReflexivity: REFLEX, config: CONFIG, threshold: 0.8, ...over });
  fails(() => run({ scores: [...TINY, obs('z', 'A', 3, 1.5)] }), ['scores[6].anomaly', '1.5', '"z"'], 'scores[6].anomaly');
  fails(() => run({ scores: [obs('z', 'A', Number.NaN, 0.5)] }), ['scores[0].timestamp', 'NaN']);
  fails(() => run({ scores: [obs('z', '', 1, 0.5)] }), ['scores[0].pattern_id']);
  fails(() => run({ scores: null as unknown as ScoredObservation[] }), ['scores']);
  fails(() => run({ config: { ...CONFIG, window: 0 } }), ['config.window', '> 0'], 'config.window');
  fails(() => run({ config: { ...CONFIG, step: -1 } }), ['config.step']);
  fails(() => run({ config: { ...CONFIG, breached: 2 } }), ['config.breached', '[0, 1]']);
  fails(() => run({ config: { ...CONFIG, strained: 0.8 } }), ['config.strained', 'config.critical']);
  fails(() => run({ threshold: Number.NaN }), ['threshold']);
  fails(() => run({ from: 10, to: 5 }), ['to', 'before from']);
  fails(() => run({ from: Number.POSITIVE_INFINITY }), ['from', 'finite']);
  fails(() => run({ config: { ...CONFIG, step: 1e-9 } }), ['config.step', 'grid points']);
  fails(() => run({ patternReflexivity: new Map([['A', 2]]) }), ['patternReflexivity["A"]']);
});

test.run();
