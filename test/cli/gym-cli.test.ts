// `maasflow gym` and `maasflow sensitivity` with tiny sizes, as a user runs them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('gym runs episodes of an agent, prints each best reward and the grid-search best, and reports them as JSON', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-gym-cli-'));
  const metrics = path.join(dir, 'gym.json');
  const r = cli('gym', '--agent', 'hill-climb', '--episodes', '2', '--steps', '4', '--runs', '100', '--seed', '3', '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'gym: hill-climb agent, 2 episode(s) × 4 steps, 100 runs per step, seeds 3..4');
  assert.match(r.stdout, /episode 1 \(seed 3\): start 0\.\d{3} → best reward (0\.\d{3}|n\/a)/);
  assert.match(r.stdout, /episode 2 \(seed 4\): /);
  assert.match(r.stdout, /grid-search best: expected Q 0\.888 over 316800 points: top_k=5 /);
  const report = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { metric: { agent: string; episodes: { seed: number; rewards: number[] }[]; grid_best_q: number } };
  assert.is(report.metric.agent, 'hill-climb');
  assert.equal(report.metric.episodes.map((e) => [e.seed, e.rewards.length]), [[3, 4], [4, 4]]);
  assert.ok(report.metric.grid_best_q > 0.87);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sensitivity prints the Morris ranking of Q and the top factors of each metric', () => {
  const r = cli('sensitivity', '--seed', '2', '--trajectories', '40');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'Morris elementary effects on the synthetic surface (goal maas-quality): 40 trajectories, seed 2');
  assert.match(r.stdout, /\nQ\n +factor +μ\* +μ +σ +share\n  archivist_min_importance /);
  assert.match(r.stdout, /tokens_per_run +(top_k|token_budget) \d+ %/);
});

test.run();
