import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Layer, LayerState } from '../../../qmpt/types.ts';
import { summarizeScores, tallyVersions, topAnomalies, versionWarnings } from '../../../qmpt/viz/pattern-scores.ts';
import { anomalyReport, simulationReport, writeReport } from '../../../qmpt/viz/reports.ts';
import { interventionEffects, readTrajectory, regimeTimes } from '../../../qmpt/viz/trajectory.ts';
import { expectRejects } from '../../support/errors.ts';
import { assertWellFormed, pattern } from './svg-check.ts';

// Â = 0.1, 0.2, ..., 1.0 (p-1 .. p-10) and one unscored pattern; R̂ = Â / 2 for the first five.
const V1 = { anomaly: 'anomaly.v1#aaaaaaaa' };
const patterns = [
  ...Array.from({ length: 10 }, (_, i) =>
    pattern(`p-${i + 1}`, i % 2 === 0 ? 'L1' : 'L2', {
      anomaly_score: (i + 1) / 10,
      reflexivity: i < 5 ? (i + 1) / 20 : null,
      components: { rarity: (i + 1) / 10, isolation: 0.5 },
      metrics_version: V1,
      feature_spec_version: 'text_v1#12345678',
    }),
  ),
  pattern('x|y', 'L3', { metrics_version: V1, feature_spec_version: 'text_v1#12345678' }),
];

/** Cells of a Markdown table row, split on the unescaped pipes. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function row(markdown: string, first: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith('|') && cells(l)[0] === first);
  assert.ok(line, `a table row starting with ${first}`);
  return cells(line!);
}

test('score summary: count, mean, numpy-linear quantiles and share ≥ τ on a hand-checked input', () => {
  const s = summarizeScores(patterns, 'anomaly_score', 0.8);
  assert.is(s.scored, 10);
  assert.is(s.unscored, 1);
  // sorted 0.1..1.0: p50 at position 4.5 → 0.55; p90 at 8.1 → 0.9 + 0.1·0.1; p99 at 8.91 → 0.9 + 0.91·0.1.
  for (const [got, want] of [
    [s.mean, 0.55],
    [s.p50, 0.55],
    [s.p90, 0.91],
    [s.p99, 0.991],
    [s.min, 0.1],
    [s.max, 1],
  ] as const) {
    assert.ok(Math.abs(got! - want) < 1e-12, `${got} ≈ ${want}`);
  }
  assert.is(s.atOrAbove, 3);
  const none = summarizeScores([pattern('u', 'L1')], 'self_operator');
  assert.equal([none.scored, none.unscored, none.mean, none.p50], [0, 1, null, null]);
});

test('top anomalies: highest Â first, ties by pattern_id, unscored left out', () => {
  const tied = [pattern('b', 'L', { anomaly_score: 0.9 }), pattern('c', 'L', { anomaly_score: 0.95 }), pattern('a', 'L', { anomaly_score: 0.9 }), pattern('n', 'L')];
  assert.equal(topAnomalies(tied, 10).map((p) => p.pattern_id), ['c', 'a', 'b']);
  assert.equal(topAnomalies(tied, 2).map((p) => p.pattern_id), ['c', 'a']);
});

test('version warnings: mixed versions and versions other than the current one', () => {
  const mixed = [pattern('a', 'L', { metrics_version: V1 }), pattern('b', 'L', { metrics_version: { anomaly: 'anomaly.v1#bbbbbbbb' } }), pattern('c', 'L')];
  const w = versionWarnings(tallyVersions(mixed), V1);
  assert.is(w.length, 2);
  assert.ok(w[0]!.includes('anomaly comes from 2 versions (anomaly.v1#aaaaaaaa: 1, anomaly.v1#bbbbbbbb: 1, unrecorded: 1)'), w[0]);
  assert.ok(w[1]!.includes('2 patterns not scored with the current anomaly version anomaly.v1#aaaaaaaa'), w[1]);
  assert.equal(versionWarnings(tallyVersions(patterns), V1), []);
});

test('anomaly report: summary row, top-N order with components, layers, versions, escaped ids, charts linked', async () => {
  const report = await anomalyReport({ patterns, top: 3, config: { metrics: { anomaly: { threshold: 0.8 } } }, versions: V1, title: 'Run 1' });
  const md = report.markdown;
  assert.ok(md.startsWith('# Run 1\n'));
  assert.ok(md.includes('11 patterns in 3 layers; anomaly threshold τ = 0.800. 3 patterns at or above τ; 1 pattern unscored (no Â).'));
  assert.equal(row(md, 'Â'), ['Â', '10', '1', '0.550', '0.550', '0.910', '0.991', '0.100', '1.000', '0.300']);
  assert.equal(row(md, 'R̂_norm'), ['R̂_norm', '5', '6', '0.150', '0.150', '0.230', '0.248', '0.050', '0.250', '–']);
  assert.ok(md.includes('## Top 3 anomalies'));
  const top = md.split('\n').filter((l) => /^\| [123] \|/.test(l)).map((l) => cells(l));
  assert.equal(top.map((c) => [c[1], c[3], c[6], c[7]]), [
    ['p-10', '1.000', '1.000', '0.500'],
    ['p-9', '0.900', '0.900', '0.500'],
    ['p-8', '0.800', '0.800', '0.500'],
  ]);
  assert.ok(md.includes('| rank | pattern_id | layer | Â | R̂_norm | Ô_self | rarity | isolation |'));
  assert.equal(row(md, 'L1'), ['L1', '5', '5', '1', '0.200', '0.500', '0.900', '0.150', '–']);
  assert.equal(row(md, 'L3'), ['L3', '1', '0', '0', '–', '–', '–', '–', '–']);
  assert.not.ok(md.includes('**Warning:**'), 'one version, the current one: no warning');
  assert.ok(md.includes('| anomaly | `anomaly.v1#aaaaaaaa` | 11 | yes |'));
  assert.equal(Object.keys(report.charts), ['anomaly-histogram.svg', 'anomaly-vs-reflexivity.svg']);
  for (const [name, svg] of Object.entries(report.charts)) {
    assert.ok(md.includes(`](${name})`), `links ${name}`);
    assertWellFormed(svg);
  }
  assert.ok(report.charts['anomaly-histogram.svg']!.includes('1 pattern without Â not shown'));
  const again = await anomalyReport({ patterns, top: 3, config: { metrics: { anomaly: { threshold: 0.8 } } }, versions: V1, title: 'Run 1' });
  assert.equal(again, report, 'same bytes for the same input');
});

test('anomaly report: a pipe in an id stays in its cell; mixed versions warn; bad top names the field', async () => {
  const mixed = [
    pattern('a|b', 'L|1', { anomaly_score: 0.9, metrics_version: V1 }),
    pattern('c*d', 'L2', { anomaly_score: 0.3, metrics_version: { anomaly: 'anomaly.v2#cccccccc' } }),
  ];
  const md = (await anomalyReport({ patterns: new Map(mixed.map((p) => [p.pattern_id, p])) })).markdown;
  const first = md.split('\n').find((l) => l.startsWith('| 1 |'))!;
  assert.equal(cells(first).slice(0, 4), ['1', 'a\\|b', 'L\\|1', '0.900']);
  assert.is(cells(first).length, 6, 'no extra cell from the pipes');
  assert.ok(md.includes('| 2 | c\\*d |'), 'Markdown emphasis escaped');
  assert.ok(md.includes('> **Warning:** anomaly comes from 2 versions'), 'version-mix warning');
  assert.ok(md.includes('anomaly threshold τ = 0.900'), 'default threshold');
  for (const top of [0, 1.5, 5000]) await expectRejects(() => anomalyReport({ patterns: mixed, top }), 'CONFIG', /^anomalyReport: top must be an integer/);
});

function state(t: number, stress: number | null, protection: number | null, regime: string, extra: Record<string, unknown> = {}): LayerState {
  return { t, stress, protection, macro_state: { regime, ...extra } };
}

// Regimes hold until the next state: stable 0.5, strained 1.0 + 0.5, critical 2.0; the last state none.
// The shock, due at 0.4, is recorded by the state the step from 0 produced (t 0.5); the second record has no t of its own.
const layer: Layer = {
  layer_id: 'L|1',
  description: 'Hand-made layer.',
  patterns: ['p-1', 'p-2'],
  state_trajectory: [
    state(0, 0.1, 0.8, 'stable', { coherence: 0.5 }),
    state(0.5, 0.5, 0.7, 'strained', { coherence: 0.45, interventions: [{ t: 0.4, kind: 'stress_shock', value: 0.35 }] }),
    state(1.5, 0.55, 0.6, 'strained', { coherence: 0.4 }),
    state(2, 0.8, 0.4, 'critical', { coherence: 0.35 }),
    state(4, 0.3, 0.9, 'stable', { coherence: 0.5, interventions: [{ kind: 'set_protection', value: 0.9 }] }),
  ],
};

test('regime times, intervention effects', () => {
  const points = readTrajectory(layer);
  assert.equal(regimeTimes(points), [
    { regime: 'stable', states: 2, time: 0.5, share: 0.125 },
    { regime: 'strained', states: 2, time: 1.5, share: 0.375 },
    { regime: 'critical', states: 1, time: 2, share: 0.5 },
  ]);
  assert.equal(interventionEffects(points), [
    { t: 0.4, kind: 'stress_shock', label: 'stress_shock Δσ +0.350', before: { stress: 0.1, protection: 0.8 }, after: { stress: 0.5, protection: 0.7 } },
    { t: 4, kind: 'set_protection', label: 'set_protection P := 0.900', before: { stress: 0.8, protection: 0.4 }, after: { stress: 0.3, protection: 0.9 } },
  ]);
});

test('simulation report: extremes, time per regime, interventions with their effect, run settings, chart', async () => {
  const report = await simulationReport({ layer, config: { simulation: { model_id: 'stress_protection_v1', dt: 0.5, t_end: 4, seed: 7, params: { k_load: 0.8, gamma: 0.6 } } } });
  const md = report.markdown;
  assert.ok(md.startsWith('# Simulation of layer L|1\n'));
  assert.ok(md.includes('Hand-made layer. 5 states from t = 0 to t = 4; 2 patterns.'));
  assert.ok(md.includes('model `stress_protection_v1`; dt 0.5; t_end 4; seed 7.'));
  assert.equal(row(md, 'gamma'), ['gamma', '0.6']);
  assert.equal(row(md, 'stress σ'), ['stress σ', '0.100', '0.300', '0.100', '0', '0.800', '2']);
  assert.equal(row(md, 'protection P'), ['protection P', '0.800', '0.900', '0.400', '2', '0.900', '4']);
  assert.equal(row(md, 'coherence c'), ['coherence c', '0.500', '0.500', '0.350', '2', '0.500', '0']);
  assert.equal(row(md, 'stable'), ['stable', '2', '0.5', '0.125']);
  assert.equal(row(md, 'strained'), ['strained', '2', '1.5', '0.375']);
  assert.equal(row(md, 'critical'), ['critical', '1', '2', '0.500']);
  assert.equal(row(md, '1'), ['1', '0.4', 'stress\\_shock Δσ +0.350', '0.100', '0.500', '+0.400', '0.800', '0.700', '-0.100']);
  assert.equal(row(md, '2'), ['2', '4', 'set\\_protection P := 0.900', '0.800', '0.300', '-0.500', '0.400', '0.900', '+0.500']);
  assert.equal(Object.keys(report.charts), ['layer-trajectory.svg']);
  assert.ok(md.includes('](layer-trajectory.svg)'));
  assertWellFormed(report.charts['layer-trajectory.svg']!);
  const bare = await simulationReport({ layer: { ...layer, state_trajectory: [] }, title: 'Nothing' });
  assert.ok(bare.markdown.includes('No states.') && !bare.markdown.includes('## Time per regime'));
  assert.ok(bare.charts['layer-trajectory.svg']!.includes('>no data<'));
});

test('writeReport: report.md and the charts written, no temp file left; a chart name with a path is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qmpt-report-'));
  try {
    const report = { markdown: '# R\n\n![c](chart-a.svg)\n', charts: { 'chart-a.svg': '<svg></svg>', 'chart-b.svg': '<svg/>' } };
    const file = writeReport(path.join(dir, 'out'), report);
    assert.is(file, path.join(dir, 'out', 'report.md'));
    assert.is(fs.readFileSync(file, 'utf8'), report.markdown);
    assert.is(fs.readFileSync(path.join(dir, 'out', 'chart-a.svg'), 'utf8'), '<svg></svg>');
    assert.equal(fs.readdirSync(path.join(dir, 'out')).sort(), ['chart-a.svg', 'chart-b.svg', 'report.md']);
    await expectRejects(async () => writeReport(dir, { markdown: '', charts: { '../evil.svg': '<svg/>' } }), 'CONFIG', /report\.charts key "\.\.\/evil\.svg" must be a plain file name/);
    assert.not.ok(fs.existsSync(path.join(dir, 'report.md')), 'nothing written for a refused report');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
