/**
 * The Teacher's quality metrics over the sensor history (`sensor_runs`):
 * per-run values for the statistics layer and aggregates per experiment,
 * variant, cycle, parameter version and time bucket. Definitions and SQL:
 * catalogue.ts, sql.ts, docs/METRICS.md.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withSensorDb } from '../../operators/sensor/history.ts';
import { METRIC_NAMES, METRICS, metricDefinition, type MetricDefinition, type MetricName } from './catalogue.ts';
import { aggregateMetricsSql, defaultUnknownMarkers, perRunSql, type AggregateQuery, type GroupColumn, type PerRunQuery, type SqlStatement } from './sql.ts';

export { METRIC_NAMES, METRICS, metricDefinition, type MetricDefinition, type MetricName };
export { GROUP_COLUMNS, parseBucket, type AggregateQuery, type GroupColumn, type PerRunQuery, type RunFilter, type SqlStatement } from './sql.ts';

/** One metric of one group: the aggregate (null when no run of the group has a value) and how many runs have a value. */
export interface MetricValue {
  value: number | null;
  n: number;
}

export interface AggregateRow {
  /** One entry per groupBy column, in its order; `bucket` is the bucket's start in epoch ms (UTC). */
  group: Partial<Record<GroupColumn, string | number | null>>;
  /** Runs of the group (every run matching the filter, whatever the metrics' populations). */
  runs: number;
  metrics: Partial<Record<MetricName, MetricValue>>;
}

/**
 * The per-run values of one metric for the runs matching the filter, ordered
 * by run_id: runs outside the metric's population (see the catalogue) are
 * left out, so `length` is the metric's n.
 */
export async function perRunValues(conn: DuckDBConnection, query: PerRunQuery): Promise<Float64Array> {
  const statement = perRunSql(query, await markersFor(query, [query.metric]));
  const reader = await run(conn, statement);
  const values = reader.getColumnsJS()[0] ?? [];
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  return out;
}

/** Aggregates of the asked metrics (default: all) per group, ordered by the group columns (NULLs first). */
export async function aggregateMetrics(conn: DuckDBConnection, query: AggregateQuery): Promise<AggregateRow[]> {
  const { statement, metrics, groupBy } = aggregateMetricsSql(query, await markersFor(query, query.metrics ?? METRIC_NAMES));
  const reader = await run(conn, statement);
  return reader.getRowObjectsJS().map((r) => {
    const group: AggregateRow['group'] = {};
    for (const g of groupBy) {
      const v = r[g];
      group[g] = v === null || v === undefined ? null : v instanceof Date ? v.getTime() : String(v);
    }
    const values: AggregateRow['metrics'] = {};
    for (const m of metrics) {
      const v = r[m];
      values[m] = { value: v === null || v === undefined ? null : Number(v), n: Number(r[`${m}_n`]) };
    }
    return { group, runs: Number(r.runs), metrics: values };
  });
}

/** perRunValues on a sensor DuckDB file (shared with a sensor sink of this process, if one is open). */
export function readPerRunValues(file: string, query: PerRunQuery): Promise<Float64Array> {
  return withSensorDb(file, (conn) => perRunValues(conn, query));
}

/** aggregateMetrics on a sensor DuckDB file. */
export function readAggregateMetrics(file: string, query: AggregateQuery): Promise<AggregateRow[]> {
  return withSensorDb(file, (conn) => aggregateMetrics(conn, query));
}

async function markersFor(query: { unknownMarkers?: readonly string[] }, metrics: readonly string[]): Promise<readonly string[]> {
  // the default markers are read only when a metric judges answers and no markers were given
  if (query.unknownMarkers !== undefined) return query.unknownMarkers;
  const judges = Array.isArray(metrics) && metrics.some((m) => typeof m === 'string' && (METRICS as Partial<Record<string, MetricDefinition>>)[m]?.needs.includes('answer_outcome'));
  return judges ? defaultUnknownMarkers() : [];
}

function run(conn: DuckDBConnection, s: SqlStatement): ReturnType<DuckDBConnection['runAndReadAll']> {
  return conn.runAndReadAll(s.sql, s.values, s.types);
}
