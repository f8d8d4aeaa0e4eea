// The runnable examples of examples/qmpt/ as a user runs them: each exits 0 and writes what it says it writes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadObservations, loadPatterns } from '../../qmpt/data/io.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs: string[] = [];

function example(name: string): { out: string; stdout: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `qmpt-example-${name.slice(0, 2)}-`));
  dirs.push(out);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', 'qmpt', name), out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  assert.is(r.status, 0, `${name} exited ${r.status}: ${r.stderr}`);
  assert.match(r.stdout, `done: ${out}`);
  return { out, stdout: r.stdout };
}

const isSvg = (file: string): boolean => /^<svg[\s\S]*<\/svg>\s*$/.test(fs.readFileSync(file, 'utf8'));

test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('01 basic usage: JSONL and Parquet round trip, features, the three metrics, patterns in DuckDB queried by SQL', async () => {
  const { out, stdout } = example('01_basic_usage.ts');
  const jsonl = await loadObservations(path.join(out, 'observations.jsonl'));
  assert.equal(await loadObservations(path.join(out, 'observations.parquet')), jsonl);
  assert.match(stdout, `${jsonl.length} observations of 40 patterns`);
  assert.match(stdout, 'the two loads are equal: true');
  assert.match(stdout, /spec text_v1#[0-9a-f]{8}: \d+ rows × 19 columns/);
  assert.match(stdout, /top 5 by Â: anom-\d 0\.\d{3} \(planted\), anom-\d 0\.\d{3} \(planted\), anom-\d 0\.\d{3} \(planted\)/);
  assert.match(stdout, /mean R̂_norm: reflexive patterns 0\.\d{3}, the others 0\.\d{3}/);
  assert.match(stdout, /anom-1: Ô_self 0\.\d{3} from s_pop 0\.\d{3}, s_self 0\.\d{3}, s_meta 0\.\d{3}/);
  const patterns = await loadPatterns(path.join(out, 'patterns.duckdb'));
  assert.is(patterns.size, 40);
  assert.ok([...patterns.values()].every((p) => p.anomaly_score !== null && p.self_operator !== null && p.metrics_version !== null));
  assert.match(stdout, /per layer:\n  \{"layer_id":"L1","patterns":20,/);
});

test('02 anomaly analysis: every planted anomaly in the top k, the charts and the report', () => {
  const { out, stdout } = example('02_anomaly_analysis.ts');
  assert.match(stdout, 'precision@4 = 4/4 = 1.000');
  for (const svg of ['anomaly-histogram.svg', 'anomaly-vs-reflexivity.svg', 'report/layer-1-L1.svg', 'report/layer-2-L2.svg']) assert.ok(isSvg(path.join(out, svg)), svg);
  const report = fs.readFileSync(path.join(out, 'report', 'report.md'), 'utf8');
  assert.match(report, /^# Anomaly report\n\n60 patterns in 2 layers/);
  assert.match(report, /## Layer trajectories/);
});

test('03 layer simulation: three scenarios with and without interventions, compared; charts and reports', () => {
  const { out, stdout } = example('03_layer_simulation.ts');
  const rows = [...stdout.matchAll(/^(baseline|single_anomaly|multiple_anomalies) +(yes|no) +(\d\.\d{3})/gm)].map((m) => [m[1], m[2], Number(m[3])] as const);
  assert.is(rows.length, 6);
  const meanStress = (kind: string, label: string): number => rows.find((r) => r[0] === kind && r[1] === label)![2];
  assert.ok(meanStress('multiple_anomalies', 'no') > meanStress('single_anomaly', 'no') && meanStress('single_anomaly', 'no') > meanStress('baseline', 'no'));
  // removing the anomalous pattern and raising protection lowers the stress of the single-anomaly layer
  assert.ok(meanStress('single_anomaly', 'yes') < meanStress('single_anomaly', 'no'));
  for (const kind of ['baseline', 'single_anomaly', 'multiple_anomalies']) {
    assert.match(fs.readFileSync(path.join(out, kind, 'report.md'), 'utf8'), new RegExp(`^# Layer L1, ${kind.replace(/_/g, '\\\\_')} scenario, with interventions`));
    assert.ok(isSvg(path.join(out, kind, 'layer-trajectory.svg')) && isSvg(path.join(out, kind, 'without-interventions.svg')));
  }
});

test.run();
