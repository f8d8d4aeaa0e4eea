// `maasflow start`, `emulate` and `engine-demo`, run as a user runs them (child processes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('start --no-serve: MaaS + API, an emulator run through it, the sensor account; the metrics report agrees', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-start-'));
  const metrics = path.join(dir, 'metrics.json');
  const r = cli('start', '--no-serve', '--port', '0', '--dialogues', '6', '--seed', '4', '--data-dir', path.join(dir, 'maas'), '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /2\. HTTP API on http:\/\/127\.0\.0\.1:\d+: POST \/v1\/chat/);
  assert.match(r.stdout, /   6 dialogues of \d+ users, \d+ runs \(0 failed\)/);
  const report = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { metric: { runs: number; sensor_rows: number; dialogues: number } };
  assert.is(report.metric.dialogues, 6);
  assert.is(report.metric.sensor_rows, report.metric.runs, 'the sensor has one row per run');
  assert.match(r.stdout, new RegExp(`4\\. sensor: ${report.metric.runs} runs in .*sensor\\.duckdb table sensor_runs \\(${report.metric.runs} completed, 0 failed`));
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
