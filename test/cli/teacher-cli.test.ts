// `maasflow emulate --experiment` then `maasflow teacher analyze`, as a user runs them.
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

test('emulate --experiment splits users between the arms; teacher analyze prints the verdict, stores it and reports it as JSON', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-teacher-cli-'));
  const data = path.join(dir, 'maas');
  const run = cli('emulate', '--dialogues', '24', '--seed', '6', '--data-dir', data, '--experiment', 'config/experiments/archivist-off.yaml');
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, 'experiment archivist-off running: control 50 %, no-archivist 50 % of the users');

  const metrics = path.join(dir, 'teacher.json');
  const r = cli('teacher', 'analyze', '--experiment', 'archivist-off', '--data-dir', data, '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^experiment archivist-off: LOSER {2}\(sequential, mSPRT \(always-valid p\), Holm, alpha 0\.05\)/);
  assert.match(r.stdout, /no-archivist vs control: loser/);
  assert.match(r.stdout, /recall_at_k +1 -> 0 /);
  assert.match(r.stdout, 'recommendation: keep_params');
  assert.match(r.stdout, 'stored in');
  const report = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { metric: { verdict: string; action: string; result: { variants: { verdict: string }[] } } };
  assert.equal([report.metric.verdict, report.metric.action, report.metric.result.variants[0]!.verdict], ['loser', 'keep_params', 'loser']);

  const judged = cli('teacher', 'judge', '--data-dir', data);
  assert.is(judged.status, 0, judged.stderr);
  assert.match(judged.stdout, /judged \d+ completed runs with golden-v1 and lexical-v1/);
  assert.match(judged.stdout, /golden-v1 vs lexical-v1: agreement on hallucination [\d.]+ % of \d+ runs/);

  const unknown = cli('teacher', 'analyze', '--experiment', "nope'; --", '--data-dir', data);
  assert.is(unknown.status, 1);
  assert.match(unknown.stderr, `no experiment spec with id "nope'; --" in config/experiments (known: archivist-off, top-k-8)`);
  const noHistory = cli('teacher', 'analyze', '--experiment', 'top-k-8', '--data-dir', path.join(dir, 'nothing'));
  assert.is(noHistory.status, 1);
  assert.match(noHistory.stderr, 'no sensor history at');
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
