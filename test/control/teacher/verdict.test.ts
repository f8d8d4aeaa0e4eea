/**
 * The Teacher on emulator data: an experiment with a planted effect is found
 * as `winner` with the right sign, one without an effect is `inconclusive`;
 * workers and the main thread agree; results land in DuckDB and on the log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeExperiment, type ExperimentResult } from '../../../control/teacher/analyze.ts';
import { parseExperimentSpec, runningEntry, type ExperimentSpec } from '../../../control/teacher/experiment-spec.ts';
import { publishExperimentResult, saveExperimentResult, VERDICTS_TOPIC } from '../../../control/teacher/results-store.ts';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import { createStatsPool } from '../../../operators/stats/index.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { runEmulator } from '../../../streams/emulator/index.ts';
import { EmbeddedLog } from '../../../streams/log/embedded-log.ts';
import { MaasHost } from '../../../streams/maas/host.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-teacher-'));

const planted = parseExperimentSpec('planted.yaml', `
id: archivist-on
goal: The Archivist keeps what users tell, so questions about it are answered
baseline: { name: control, params: { archivist_max_per_message: 0 } }
variants: [{ name: treatment, params: {} }]
assignment: { unit: user_id, split: { control: 0.5, treatment: 0.5 } }
primary_metrics: [recall_at_k, correct_rate]
guardrails:
  - { metric: error_rate, max_absolute_change: 0.02 }
success: { mde: 0.1 }
`);
const placebo = parseExperimentSpec('placebo.yaml', `
id: temperature-placebo
goal: The built-in responder ignores temperature
baseline: { name: control }
variants: [{ name: warm, params: { temperature: 0.7 } }]
assignment: { unit: user_id, split: { control: 0.5, warm: 0.5 } }
primary_metrics: [recall_at_k, correct_rate]
success: { mde: 0.1 }
`);

/** Runs the emulator against a MaaS whose parameter file runs `spec`; users are assigned arms by the intake. */
async function runTraffic(host: MaasHost, spec: ExperimentSpec, label: string): Promise<void> {
  fs.writeFileSync(host.paths.params, JSON.stringify({ version: 'v1', params: {}, experiments: [runningEntry(spec, 'v1')] }));
  await runEmulator({ seed: 3, dialogues: 45, label, chat: (r) => host.chat(r), concurrency: 8 });
}

const results: Record<string, ExperimentResult> = {};

test('emulator traffic through two running experiments, analysed: planted effect -> winner with the right sign; placebo -> inconclusive', async () => {
  const host = MaasHost.start({ schemas: SchemaRegistry.load(), dataDir: dir, fresh: true });
  await runTraffic(host, planted, 'a');
  await runTraffic(host, placebo, 'b');
  await host.stop();

  await withSensorDb(host.paths.sensor, async (conn) => {
    results.planted = await analyzeExperiment(conn, planted, { now: 1_800_000_000_000 });
    results.placebo = await analyzeExperiment(conn, placebo, { now: 1_800_000_000_000 });
  });
  const p = results.planted!;
  assert.equal(Object.keys(p.arms).sort(), ['control', 'treatment'], 'the intake assigned both arms');
  assert.ok(p.srm && !p.srm.mismatch, `no sample ratio mismatch (p ${p.srm?.p_value})`);
  assert.is(p.verdict, 'winner');
  const v = p.variants[0]!;
  assert.is(v.verdict, 'winner', v.reasons.join('; '));
  for (const c of v.primary) {
    assert.ok(c.mean_diff! > 0 && c.delta! > 0, `${c.metric} rose with the Archivist on (${c.baseline.value} -> ${c.variant.value})`);
    assert.ok(c.improved && c.p_adjusted! < 0.001, `${c.metric}: p_adj ${c.p_adjusted}`);
    assert.ok(c.ci![0] > 0, `${c.metric}: the interval of the difference excludes 0 (${c.ci})`);
  }
  assert.equal(p.recommendation.action, 'update_params');
  assert.equal(p.recommendation.changes, [{ param: 'archivist_max_per_message', from: 0, to: 3 }]);
  assert.ok(p.recommendation.rollback_conditions.some((r) => r.metric === 'recall_at_k' && r.direction === 'drop'));

  const q = results.placebo!;
  assert.is(q.verdict, 'inconclusive', JSON.stringify(q.variants[0]!.reasons));
  assert.equal(q.recommendation.action, 'keep_params');
  for (const c of q.variants[0]!.primary) assert.not.ok(c.significant, `${c.metric}: p_adj ${c.p_adjusted}`);
});

test('the tests in piscina workers give the same result as on the main thread', async () => {
  const pool = createStatsPool({ threads: 2 });
  try {
    const inWorkers = await withSensorDb(path.join(dir, 'sensor.duckdb'), (conn) => analyzeExperiment(conn, planted, { now: 1_800_000_000_000, pool }));
    assert.equal(inWorkers, results.planted);
  } finally {
    await pool.close();
  }
});

test('results are stored in experiment_results / experiment_verdicts and emitted on the log', async () => {
  await withSensorDb(path.join(dir, 'sensor.duckdb'), async (conn) => {
    await saveExperimentResult(conn, results.planted!);
    await saveExperimentResult(conn, results.placebo!);
    const rows = (await conn.runAndReadAll(`SELECT experiment_id, variant, metric, role, variant_verdict, improved FROM experiment_results ORDER BY ALL`)).getRowObjectsJS();
    assert.is(rows.length, 5, '2 primary + 1 guardrail of the planted experiment, 2 primary of the placebo');
    assert.ok(rows.filter((r) => r.experiment_id === 'archivist-on' && r.role === 'primary').every((r) => r.improved === true && r.variant_verdict === 'winner'));
    const verdicts = (await conn.runAndReadAll(`SELECT experiment_id, verdict, json_extract_string(recommendation, '$.action') AS action FROM experiment_verdicts ORDER BY experiment_id`)).getRowObjectsJS();
    assert.equal(verdicts, [{ experiment_id: 'archivist-on', verdict: 'winner', action: 'update_params' }, { experiment_id: 'temperature-placebo', verdict: 'inconclusive', action: 'keep_params' }]);
  });
  const log = EmbeddedLog.open(path.join(dir, 'events'));
  try {
    publishExperimentResult(log, results.planted!);
    const [record] = log.read(VERDICTS_TOPIC, 0, 0, 10);
    assert.equal(JSON.parse(Buffer.from(record!.value).toString('utf8')), JSON.parse(JSON.stringify(results.planted)));
  } finally {
    log.close();
  }
});

test('SQL is parameterised: an experiment id full of quotes matches nothing and harms nothing', async () => {
  const hostile = { ...planted, id: `x'; DROP TABLE sensor_runs; --"` };
  await withSensorDb(path.join(dir, 'sensor.duckdb'), async (conn) => {
    const before = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM sensor_runs')).getRowObjectsJS()[0]!.n);
    const r = await analyzeExperiment(conn, hostile);
    assert.equal(r.arms, {});
    assert.is(r.verdict, 'inconclusive');
    assert.is(Number((await conn.runAndReadAll('SELECT count(*) AS n FROM sensor_runs')).getRowObjectsJS()[0]!.n), before);
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
