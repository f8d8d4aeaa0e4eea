import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Layer, LayerState } from '../../../qmpt/types.ts';
import {
  anomalyHistogramData,
  anomalyVsReflexivityData,
  plotAnomalyHist,
  plotAnomalyVsReflexivity,
  plotLayerTrajectory,
} from '../../../qmpt/viz/plots.ts';
import { MAX_LINE_STATES, thinSeries } from '../../../qmpt/viz/trajectory-plot.ts';
import { readTrajectory } from '../../../qmpt/viz/trajectory.ts';
import { expectRejects } from '../../support/errors.ts';
import { assertWellFormed, marksOf, pattern } from './svg-check.ts';

const patterns = [
  pattern('p-1', 'L1', { anomaly_score: 0.05, reflexivity: 0.3 }),
  pattern('p-2', 'L1', { anomaly_score: 0.07, reflexivity: 0.6 }),
  pattern('p-3', 'L2', { anomaly_score: 0.5, reflexivity: null }),
  pattern('a|<b>', 'L2', { anomaly_score: 0.85, reflexivity: 0.2 }),
  pattern('p-5', 'L2', { anomaly_score: 1, reflexivity: 0.9 }),
  pattern('p-6', 'L1', { anomaly_score: null, reflexivity: 0.4 }),
];

test('histogram data: equal bins over [0, 1], Â = 1 in the last bin, null skipped and counted', () => {
  const d = anomalyHistogramData(patterns, { bins: 10, threshold: 0.8 });
  assert.equal(d.bins, [
    { start: 0, end: 0.1, count: 2 },
    { start: 0.5, end: 0.6, count: 1 },
    { start: 0.8, end: 0.9, count: 1 },
    { start: 0.9, end: 1, count: 1 },
  ]);
  assert.is(d.scored, 5);
  assert.is(d.unscored, 1);
  assert.is(d.anomalous, 2);
});

test('histogram SVG: one bar per non-empty bin, the threshold rule, the unscored count; same bytes every time and for a Map', async () => {
  const svg = await plotAnomalyHist(patterns, { bins: 10, threshold: 0.8 });
  assertWellFormed(svg);
  assert.is(marksOf(svg, 'bins'), 4);
  assert.is(marksOf(svg, 'threshold', 'line'), 1);
  assert.ok(svg.includes('τ = 0.800'));
  assert.ok(svg.includes('5 patterns scored; 2 at or above τ = 0.800 (40.0 %)'));
  assert.ok(svg.includes('1 pattern without Â not shown'));
  assert.ok(svg.includes('anomaly score Â (10 bins)'), 'x axis title');
  const again = await plotAnomalyHist(new Map(patterns.map((p) => [p.pattern_id, p])), { bins: 10, threshold: 0.8 });
  assert.is(again, svg);
});

test('histogram: no data gives a valid SVG saying so, with the unscored count', async () => {
  const empty = await plotAnomalyHist([]);
  assertWellFormed(empty);
  assert.ok(empty.includes('>no data<'));
  const unscored = await plotAnomalyHist([pattern('u1', 'L1'), pattern('u2', 'L1')]);
  assertWellFormed(unscored);
  assert.ok(unscored.includes('>no data<'));
  assert.ok(unscored.includes('2 patterns without Â not shown'));
});

test('invalid options and scores are errors naming the field', async () => {
  await expectRejects(async () => anomalyHistogramData(patterns, { bins: 0 }), 'CONFIG', /bins must be an integer in 1\.\.200, got 0/);
  await expectRejects(async () => anomalyHistogramData(patterns, { bins: 2.5 }), 'CONFIG', /bins/);
  await expectRejects(async () => anomalyHistogramData(patterns, { threshold: 1.5 }), 'CONFIG', /threshold must be a number in \[0, 1\], got 1\.5/);
  await expectRejects(async () => anomalyVsReflexivityData(patterns, { threshold: Number.NaN }), 'CONFIG', /threshold/);
  const bad = [pattern('ok', 'L1', { anomaly_score: 0.2 }), pattern('bad', 'L1', { anomaly_score: 1.2 })];
  await expectRejects(async () => plotAnomalyHist(bad), 'RECORD_VALIDATE', /patterns\[1\] \(pattern_id "bad"\) \/anomaly_score: must be a number in \[0, 1\] or null, got 1\.2/);
  const badR = [pattern('r', 'L1', { anomaly_score: 0.2, reflexivity: -0.1 })];
  await expectRejects(async () => anomalyVsReflexivityData(badR), 'RECORD_VALIDATE', /patterns\[0\] .* \/reflexivity/);
});

test('scatter: a point per pattern with both scores, anomalies marked, each titled with its pattern_id', async () => {
  const d = anomalyVsReflexivityData(patterns, { threshold: 0.8 });
  assert.is(d.points.length, 4);
  assert.is(d.unscored, 2);
  assert.equal(
    d.points.filter((p) => p.marked === 'Â ≥ τ').map((p) => p.pattern_id),
    ['a|<b>', 'p-5'],
  );
  const svg = await plotAnomalyVsReflexivity(patterns, { threshold: 0.8 });
  assertWellFormed(svg);
  assert.is(marksOf(svg, 'patterns'), 4);
  assert.is((svg.match(/<title>/g) ?? []).length, 4);
  assert.ok(svg.includes('<title>a|&lt;b&gt; (L2): Â 0.850, R̂ 0.200</title>'), 'escaped id in the tooltip title');
  assert.ok(svg.includes('2 patterns without both Â and R̂_norm not shown'));
  assert.ok(svg.includes('2 at or above τ = 0.800 drawn as outlined diamonds'));
  assert.ok(/>L1<[\s\S]*>L2</.test(svg), 'layer legend');
  assert.is(marksOf(svg, 'threshold', 'line'), 1);
  // Diamonds (an anomaly's shape) are drawn as 4-point paths with a dark outline.
  assert.is((svg.match(/d="M-?[\d.]+,0L0,-[\d.]+L[\d.]+,0L0,[\d.]+Z"[^>]*stroke="#111111"/g) ?? []).length, 2);
  assert.is(await plotAnomalyVsReflexivity(patterns, { threshold: 0.8 }), svg);
  const none = await plotAnomalyVsReflexivity(new Map());
  assertWellFormed(none);
  assert.ok(none.includes('>no data<'));
});

test('scatter: past maxPoints every anomaly and a seeded sample of the rest, in input order', async () => {
  const many = Array.from({ length: 30 }, (_, i) => pattern(`q-${String(i).padStart(2, '0')}`, `L${i % 3}`, { anomaly_score: i % 10 === 9 ? 0.9 : 0.3, reflexivity: 0.5 }));
  const d = anomalyVsReflexivityData(many, { maxPoints: 10, seed: 3 });
  assert.is(d.points.length, 10);
  assert.equal([d.scored, d.anomalous], [30, 3]);
  assert.equal(d.points.filter((p) => p.marked === 'Â ≥ τ').map((p) => p.pattern_id), ['q-09', 'q-19', 'q-29']);
  const ids = d.points.map((p) => p.pattern_id);
  assert.equal(ids, [...ids].sort(), 'input order kept');
  assert.equal(anomalyVsReflexivityData(many, { maxPoints: 10, seed: 3 }).points, d.points, 'same seed, same sample');
  assert.not.equal(anomalyVsReflexivityData(many, { maxPoints: 10, seed: 4 }).points, d.points, 'another seed, another sample');
  assert.is(anomalyVsReflexivityData(many, { maxPoints: 2 }).points.filter((p) => p.marked === 'Â ≥ τ').length, 2, 'too many anomalies: sampled too');
  const svg = await plotAnomalyVsReflexivity(many, { maxPoints: 10, seed: 3 });
  assert.is(marksOf(svg, 'patterns'), 10);
  assert.ok(svg.includes('30 patterns; 3 at or above τ = 0.900') && svg.includes('showing 10 of them: every one at or above τ and a seeded sample of the rest'));
  await expectRejects(async () => anomalyVsReflexivityData(many, { maxPoints: 0 }), 'CONFIG', /maxPoints must be a positive integer, got 0/);
  await expectRejects(async () => anomalyVsReflexivityData(many, { seed: 0.5 }), 'CONFIG', /seed must be an integer/);
});

function state(t: number, stress: number | null, protection: number | null, regime: string, extra: Record<string, unknown> = {}): LayerState {
  return { t, stress, protection, macro_state: { regime, ...extra } };
}

function layerOf(states: LayerState[]): Layer {
  return { layer_id: 'L1', description: 'test layer', patterns: [], state_trajectory: states };
}

test('trajectory: σ, P and coherence lines, a rule per intervention time, a strip span per regime run', async () => {
  const layer = layerOf([
    state(0, 0.1, 0.8, 'stable', { coherence: 0.5 }),
    state(1, 0.5, 0.7, 'strained', { coherence: 0.4, interventions: [{ t: 0.7, kind: 'stress_shock', value: 0.3 }] }),
    state(2, 0.45, 0.75, 'strained', { coherence: 0.4 }),
    state(3, 0.2, 0.9, 'stable', { coherence: 0.5, interventions: [{ kind: 'set_protection', value: 0.9 }, { kind: 'remove_pattern', pattern_id: 'anom-1' }] }),
  ]);
  const svg = await plotLayerTrajectory(layer);
  assertWellFormed(svg);
  assert.is((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 3, 'three series');
  assert.is(marksOf(svg, 'interventions', 'line'), 2, 'interventions at two times');
  assert.is(marksOf(svg, 'regimes'), 3, 'stable, strained, stable');
  for (const label of ['stress σ', 'protection P', 'coherence c', 'stress_shock Δσ +0.300', 'set_protection P := 0.900; remove_pattern anom-1', 'Trajectory of layer L1', '4 states, t 0 → 3; 3 interventions (dashed)']) {
    assert.ok(svg.includes(label), label);
  }
  assert.is(await plotLayerTrajectory(layer), svg, 'deterministic');
});

test('trajectory: no coherence, no interventions: two lines and no rules; no states: no data', async () => {
  const svg = await plotLayerTrajectory(layerOf([state(0, 0.1, 0.8, 'stable'), state(0.5, null, null, 'empty'), state(1, 0.2, 0.7, 'stable')]), { title: 'Custom' });
  assertWellFormed(svg);
  assert.is((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 2);
  assert.is(marksOf(svg, 'interventions', 'line'), 0);
  assert.ok(svg.includes('Custom') && svg.includes('no interventions') && svg.includes('>empty<'));
  const none = await plotLayerTrajectory(layerOf([]));
  assertWellFormed(none);
  assert.ok(none.includes('>no data<'));
});

test('trajectory: a long series is thinned to each run\'s min, max and first null, in time order', () => {
  const n = MAX_LINE_STATES + 1000;
  const states = Array.from({ length: n }, (_, j) => state(j / 10, j === 1234 ? 1 : j === 4321 ? 0 : j === 3000 ? null : 0.5, 0.5, 'stable'));
  const rows = thinSeries(readTrajectory(layerOf(states)), 'stress', 'stress σ');
  assert.ok(rows.length <= MAX_LINE_STATES * 1.5 && rows.length >= MAX_LINE_STATES / 2, `${rows.length} rows`);
  assert.ok(rows.some((r) => r.value === 1 && r.t === 123.4), 'the maximum survives');
  assert.ok(rows.some((r) => r.value === 0 && r.t === 432.1), 'the minimum survives');
  assert.ok(rows.some((r) => r.value === null && r.t === 300), 'the gap survives');
  assert.ok(rows.every((r, i) => i === 0 || r.t > rows[i - 1]!.t), 'time order');
  const short = thinSeries(readTrajectory(layerOf(states.slice(0, 10))), 'stress', 's');
  assert.is(short.length, 10, 'short series untouched');
});

test('trajectory: invalid states are errors naming the layer and the field', async () => {
  const plot = (states: LayerState[]) => () => plotLayerTrajectory(layerOf(states));
  await expectRejects(plot([state(0, 0.1, 0.8, 'stable'), state(1, 1.5, 0.8, 'stable')]), 'RECORD_VALIDATE', /^layer "L1" state_trajectory\[1\]\.stress: .*got 1\.5/);
  await expectRejects(plot([state(1, 0.1, 0.8, 'stable'), state(0, 0.1, 0.8, 'stable')]), 'RECORD_VALIDATE', /state_trajectory\[1\]\.t: must not be less than/);
  await expectRejects(plot([state(0, 0.1, 0.8, 'stable', { coherence: 'high' })]), 'RECORD_VALIDATE', /state_trajectory\[0\]\.macro_state\.coherence/);
  await expectRejects(plot([state(0, 0.1, 0.8, 'stable', { interventions: [42] })]), 'RECORD_VALIDATE', /state_trajectory\[0\]\.macro_state\.interventions\[0\]/);
  await expectRejects(plot([state(0, 0.1, 0.8, 'stable', { regime: 3 })]), 'RECORD_VALIDATE', /state_trajectory\[0\]\.macro_state\.regime/);
});

test.run();
