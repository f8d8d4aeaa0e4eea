// `maasflow qmpt generate | score | report | simulate` as a user runs them, on a small generated set.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLayers, loadPatterns } from '../../qmpt/data/io.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-qmpt-cli-'));
const at = (...p: string[]): string => path.join(dir, ...p);

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), 'qmpt', ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Metrics {
  schema: string;
  command: string;
  metric: Record<string, unknown>;
  status: { ok: boolean; degraded: boolean; warnings: string[]; errors: string[] };
  provenance: Record<string, unknown>;
}
const CONTRACT_KEYS = ['schema', 'command', 'metric', 'uncertainty', 'timing', 'status', 'provenance'];
const readMetrics = (file: string): Metrics => JSON.parse(fs.readFileSync(file, 'utf8')) as Metrics;

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('generate writes seeded observations with the planted ids', () => {
  const r = cli('generate', '--out', 'obs.jsonl', '--seed', '4', '--patterns', '30', '--anomalous', '3', '--reflexive', '6', '--json-metrics', 'generate.json');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote \d+ observations of 30 patterns \(3 anomalous: anom-1, anom-2, anom-3; 6 reflexive\) to obs\.jsonl/);
  const lines = fs.readFileSync(at('obs.jsonl'), 'utf8').trim().split('\n');
  assert.equal(readMetrics(at('generate.json')).metric.observations, lines.length);
  assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { pattern_id: string }).pattern_id)).size, 30);
});

test('score writes patterns, per-observation scores, layers and the report; prints the top anomalies; reports metrics', async () => {
  const r = cli('score', '--input', 'obs.jsonl', '--out', 'out', '--layers', 'out/layers.duckdb', '--json-metrics', 'score.json');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /scored \d+ observations of 30 patterns in 2 layer\(s\)/);
  assert.match(r.stdout, /top 5 anomalies:\n  1\. anom-\d  Â 0\.\d{3}  \(layer L\d\)\n  2\. anom-\d .*\n  3\. anom-\d /);
  const patterns = await loadPatterns(at('out', 'patterns.jsonl'));
  assert.is(patterns.size, 30);
  assert.ok([...patterns.values()].every((p) => p.anomaly_score !== null && p.metrics_version !== null && p.feature_spec_version !== null));
  const scores = fs.readFileSync(at('out', 'scores.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(Object.keys(scores[0]!), ['obs_id', 'pattern_id', 'layer_id', 'timestamp', 'modality', 'anomaly', 'rarity', 'distance', 'isolation']);
  const layers = await loadLayers(at('out', 'layers.duckdb'));
  assert.equal(layers.map((l) => l.layer_id), ['L1', 'L2']);
  assert.ok(layers.every((l) => l.state_trajectory.length > 0));
  const report = fs.readFileSync(at('out', 'report.md'), 'utf8');
  assert.match(report, /^# Anomaly report/);
  assert.match(report, /## Layer trajectories[\s\S]*### Layer L1[\s\S]*!\[Trajectory of layer L1\]\(layer-1-L1\.svg\)/);
  for (const svg of ['anomaly-histogram.svg', 'anomaly-vs-reflexivity.svg', 'layer-1-L1.svg', 'layer-2-L2.svg']) assert.match(fs.readFileSync(at('out', svg), 'utf8'), /^<svg/);

  const m = readMetrics(at('score.json'));
  assert.equal(Object.keys(m), CONTRACT_KEYS);
  assert.is(m.command, 'qmpt score');
  for (const key of ['observations', 'patterns', 'anomalous', 'share_anomalous', 'mean_anomaly', 'components', 'versions', 'top']) assert.ok(key in m.metric, `metric.${key}`);
  assert.is(m.metric.observations, scores.length);
  assert.equal((m.metric.top as { pattern_id: string }[]).slice(0, 3).map((t) => t.pattern_id).sort(), ['anom-1', 'anom-2', 'anom-3']);
  // no self-reports: Ô_self lacks s_self and s_meta, which the status says
  assert.ok(m.status.ok && m.status.degraded);
  assert.match(m.status.warnings.join('\n'), /30 patterns scored degraded: Ô_self without s_self, s_meta \(no self-report\)/);
  assert.ok(['version', 'commit', 'node', 'threads', 'device', 'platform'].every((k) => k in m.provenance));
});

test('score --threads 2 gives the same patterns; --json-metrics - owns stdout', () => {
  const r = cli('score', '--input', 'obs.jsonl', '--out', 'out2', '--threads', '2', '--no-report', '--json-metrics', '-');
  assert.is(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as Metrics;
  assert.is(m.metric.threads, 2);
  assert.match(r.stderr, /top 5 anomalies/);
  assert.is(fs.readFileSync(at('out2', 'patterns.jsonl'), 'utf8'), fs.readFileSync(at('out', 'patterns.jsonl'), 'utf8'));
  assert.not.ok(fs.existsSync(at('out2', 'report.md')));
});

test('report renders scored patterns and layers from files', () => {
  const r = cli('report', '--patterns', 'out/patterns.jsonl', '--layers', 'out/layers.duckdb', '--out', 'rep', '--json-metrics', 'report.json');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /report of 30 patterns and 2 layer\(s\): rep\/report\.md/);
  assert.match(fs.readFileSync(at('rep', 'report.md'), 'utf8'), /### Layer L2/);
  assert.ok(fs.existsSync(at('rep', 'layer-2-L2.svg')));
  assert.is(readMetrics(at('report.json')).metric.patterns, 30);
});

test('simulate writes the layer and its report and prints final σ, P and the time per regime', async () => {
  const r = cli('simulate', '--scenario', 'baseline', '--seed', '3', '--out', 'sim', '--json-metrics', 'sim.json');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /simulated layer L1: baseline, 20 patterns \(0 anomalous\), 601 states to t = 60/);
  assert.match(r.stdout, /final σ 0\.\d{3}, P 0\.\d{3}, regime \w+/);
  assert.match(r.stdout, /time per regime: stable \d+\.\d %/);
  // the default config removes anom-1, which a baseline layer has not: dropped with a warning
  assert.match(r.stdout, /warning: simulation\.interventions\[2\] \(remove_pattern at t = 45\) dropped: pattern "anom-1" is not in this layer/);
  const [layer] = await loadLayers(at('sim', 'layer.jsonl'));
  assert.is(layer!.state_trajectory.length, 601);
  assert.match(fs.readFileSync(at('sim', 'report.md'), 'utf8'), /^# Simulation of layer L1/);
  assert.ok(fs.existsSync(at('sim', 'layer-trajectory.svg')));
  const m = readMetrics(at('sim.json'));
  assert.equal(Object.keys(m), CONTRACT_KEYS);
  assert.is(m.metric.final_stress, layer!.state_trajectory[600]!.stress);
  assert.equal((m.metric.scenario as { kind: string; seed: number }).seed, 3);
});

test('an invalid observation fails with file:line and the field, no stack trace', () => {
  const lines = fs.readFileSync(at('obs.jsonl'), 'utf8').trim().split('\n');
  lines[3] = lines[3]!.replace(/"timestamp":[0-9.]+/, '"timestamp":"soon"');
  fs.writeFileSync(at('bad.jsonl'), lines.join('\n'));
  const r = cli('score', '--input', 'bad.jsonl', '--out', 'bad', '--json-metrics', 'bad.json');
  assert.is(r.status, 1);
  assert.is(r.stderr.trim(), 'error: bad.jsonl:4 /timestamp: must be number, got string [RECORD_VALIDATE]');
  const m = readMetrics(at('bad.json'));
  assert.is(m.status.ok, false);
  assert.match(m.status.errors[0]!, /bad\.jsonl:4 \/timestamp/);
});

test('a bad config names file:line and the path; exit 2', () => {
  fs.writeFileSync(at('bad.yaml'), 'metrics:\n  anomaly:\n    threshold: 2\n');
  const r = cli('score', '--input', 'obs.jsonl', '--config', 'metrics_default', '--config', 'bad.yaml', '--out', 'bad');
  assert.is(r.status, 2);
  assert.match(r.stderr, /^error: \S*bad\.yaml:3:5 \/metrics\/anomaly\/threshold: must be <= 1 \[CONFIG\]$/m);
  assert.not.match(r.stderr, /\n\s+at /);
});

test.run();
