/** operators/control/run-metrics.ts against the Teacher's SQL on the same 300 seeded rows: per-run values and aggregates, equal to 1e-12. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METRIC_NAMES, aggregateMetrics, perRunValues } from '../../../control/teacher/metrics.ts';
import { aggregateValues, runMetricValue } from '../../../operators/control/run-metrics.ts';
import { withSensorDb } from '../../../operators/sensor/history.ts';
import type { SensorRow } from '../../../operators/sensor/sensor.ts';
import { loadScenarios } from '../../../streams/emulator/config.ts';
import { variedRows, writeSensorRuns } from '../../support/sensor-rows.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-run-metrics-'));
const FILE = path.join(dir, 'sensor.duckdb');
const ROWS = variedRows(17, 300);
const MARKERS = loadScenarios().unknown_markers;

test.before(() => withSensorDb(FILE, (conn) => writeSensorRuns(conn, ROWS)));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function close(actual: number | null, expected: number | null, what: string): void {
  if (actual === null || expected === null) return assert.is(actual, expected, what);
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

const values = (rows: readonly SensorRow[], metric: (typeof METRIC_NAMES)[number]): number[] =>
  rows.map((r) => runMetricValue(r, metric, MARKERS)).filter((v): v is number => v !== null);

test('the rows cover every population edge', () => {
  const judged = ROWS.filter((r) => r.status === 'COMPLETED' && r.golden_fact_keys.length > 0 && r.answer !== null);
  assert.ok(judged.length > 60, `judged runs: ${judged.length}`);
  for (const m of ['correct_rate', 'hallucination_rate', 'answer_rate'] as const) {
    const v = values(ROWS, m);
    assert.ok(v.includes(0) && v.includes(1), `${m} takes both values`);
  }
  assert.ok(ROWS.some((r) => r.latency_ms === null) && ROWS.some((r) => r.status === 'FAILED'));
  assert.ok(ROWS.some((r) => r.golden_fact_keys.length === 2 && r.golden_fact_keys[0] === r.golden_fact_keys[1]), 'a duplicated golden key');
  assert.ok(ROWS.some((r) => new Set(r.retrieved_fact_keys).size < r.retrieved_fact_keys.length), 'a duplicated retrieved key');
});

test('per-run values of every metric equal perRunValues (population and order by run_id)', async () => {
  const byId = [...ROWS].sort((a, b) => (a.run_id < b.run_id ? -1 : 1));
  await withSensorDb(FILE, async (conn) => {
    for (const metric of METRIC_NAMES) {
      const sql = [...(await perRunValues(conn, { metric, unknownMarkers: MARKERS }))];
      const ts = values(byId, metric);
      assert.is(ts.length, sql.length, `${metric}: population size`);
      ts.forEach((v, i) => close(v, sql[i]!, `${metric} run ${i}`));
    }
  });
});

test('window aggregates (mean, p50, p95) equal aggregateMetrics per version and experiment', async () => {
  const groups = await withSensorDb(FILE, (conn) => aggregateMetrics(conn, { groupBy: ['param_version', 'experiment_id'], unknownMarkers: MARKERS }));
  assert.ok(groups.length >= 9, `groups: ${groups.length}`);
  for (const g of groups) {
    const rows = ROWS.filter((r) => r.param_version === g.group.param_version && r.experiment_id === g.group.experiment_id);
    assert.is(rows.length, g.runs);
    for (const metric of METRIC_NAMES) {
      const v = values(rows, metric);
      assert.is(v.length, g.metrics[metric]!.n, `${metric} n`);
      close(aggregateValues(metric, v), g.metrics[metric]!.value, `${g.group.param_version}/${g.group.experiment_id} ${metric}`);
    }
  }
});

test.run();
