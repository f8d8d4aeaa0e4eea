// `maasflow demo` (the main job's loop), `emulate` and `engine-demo`, run as a user runs them (child processes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('demo --no-serve: the loop over the real MaaS (emulator through the pipeline, sensor, Teacher, Tuner), a report per cycle; the metrics report agrees', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-demo-'));
  const metrics = path.join(dir, 'metrics.json');
  const data = path.join(dir, 'maas');
  const r = cli('demo', '--no-serve', '--port', '0', '--schedule', 'micro,deep', '--per-arm', '4', '--micro-dialogues', '3', '--max-variants', '2', '--seed', '4', '--data-dir', data, '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=\S{16,}/);
  assert.match(r.stdout, /starting from v1 \(the deliberately poor config\/params-poor\.json\)/);
  assert.match(r.stdout, /cycle 1 \(micro, by schedule\): active v1/);
  assert.match(r.stdout, /c0002-explore: 3 arms/);
  const report = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { metric: { cycles: number; start_version: string; q_per_cycle: (number | null)[] } };
  assert.is(report.metric.cycles, 2);
  assert.is(report.metric.start_version, 'v1');
  for (const c of ['cycle-0001.md', 'cycle-0002.md']) assert.ok(fs.existsSync(path.join(data, 'reports', c)), c);
  // the experiment's traffic went through the pipeline: the sensor recorded its arms
  const instance = await DuckDBInstance.create(path.join(data, 'sensor.duckdb'));
  const conn = await instance.connect();
  const arms = (await conn.runAndReadAll(`SELECT DISTINCT variant FROM sensor_runs WHERE experiment_id = 'c0002-explore' ORDER BY 1`)).getRowObjectsJS().map((x) => x.variant);
  instance.closeSync();
  // users are assigned by hash (4 users here): at least two of the three arms got some
  assert.ok(arms.length >= 2 && arms.every((a) => ['control', 'top-k-8', 'relevance-weight-1', 'recency-weight-0', 'keyword-count-7', 'token-budget-1024', 'archivist-min-importance-0_3', 'system-prompt-version-v2'].includes(String(a))), JSON.stringify(arms));
  const bad = cli('demo', '--no-serve', '--world', 'mars');
  assert.match(bad.stderr, 'error: --world must be maas or synthetic, got "mars" [CONFIG]');
  const badSchedule = cli('demo', '--no-serve', '--schedule', 'micro,weekly');
  assert.match(badSchedule.stderr, 'unknown cycle type(s) weekly');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('emulate: the same seed gives the same report; --keep-data keeps the memories; bad flags are named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-emulate-'));
  const run = (...extra: string[]): { stdout: string; report: { turns: number; accuracy: number; threads: unknown[] } } => {
    const r = cli('emulate', '--dialogues', '5', '--seed', '9', '--data-dir', path.join(dir, 'maas'), ...extra);
    assert.is(r.status, 0, r.stderr);
    return { stdout: r.stdout, report: JSON.parse(fs.readFileSync(path.join(dir, 'maas', 'emulator-report.json'), 'utf8')) };
  };
  const a = run();
  const b = run();
  assert.match(a.stdout, /sensor: \d+ runs in/);
  assert.equal({ ...a.report, elapsed_ms: 0 }, { ...b.report, elapsed_ms: 0 }, 'a fresh MaaS and the same seed: the same dialogues and answers');
  const kept = cli('emulate', '--dialogues', '5', '--seed', '10', '--data-dir', path.join(dir, 'maas'), '--keep-data');
  assert.is(kept.status, 0, kept.stderr);
  const keptTurns = Number(/ (\d+) runs \(/.exec(kept.stdout)![1]);
  assert.match(kept.stdout, `sensor: ${a.report.turns + keptTurns} runs`, 'a run on kept data (another seed: other users) adds to the history');
  fs.rmSync(dir, { recursive: true, force: true });

  const bad = cli('emulate', '--dialogues', '-3');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, 'error: --dialogues must be an integer in [0, 1000000], got "-3" [CONFIG]');
  const unreachable = cli('emulate', '--dialogues', '1', '--url', 'http://127.0.0.1:9');
  assert.is(unreachable.status, 0, 'a MaaS that cannot be reached is a run of failed turns, reported');
  assert.match(unreachable.stdout, /1 dialogues of 1 users, \d+ runs \(\d+ failed\)/);
});

test('engine-demo still runs the engine demo end to end', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-demo-'));
  const r = cli('engine-demo', '--readings', '5000', '--data-dir', dir);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /1\. produced 5000 Avro readings/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
