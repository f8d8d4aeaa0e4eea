/**
 * The Teacher's SQL statements over `sensor_runs`, built from fixed text
 * only: filters, group-by columns and metric expressions come from the
 * catalogues below, and every value (experiment id, variant, time range,
 * bucket width, unknown markers) is a named parameter bound by DuckDB. A
 * name outside a catalogue is refused (METRIC_UNKNOWN, listing the known
 * ones); a malformed value likewise (METRIC_BAD_ARGUMENT).
 */
import { INTERVAL, TIMESTAMP, VARCHAR, intervalValue, timestampValue, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import { DERIVED_COLUMNS, METRIC_NAMES, aggregateSql, metricDefinition, unknownMarkersPattern, type DerivedName, type MetricDefinition, type MetricName } from './catalogue.ts';

export const TABLE = 'sensor_runs';

/** Which runs a query covers. Every field is optional; given ones are ANDed. Times are epoch ms (or Dates) on `ended_at`, [from, to). */
export interface RunFilter {
  experimentId?: string;
  variant?: string;
  cycleType?: string;
  clientType?: string;
  paramVersion?: string;
  from?: number | Date;
  to?: number | Date;
  /** Lower-case "I don't know" markers; default: `unknown_markers` of config/sim_scenarios.json, as the emulator judges. */
  unknownMarkers?: readonly string[];
}

export interface PerRunQuery extends RunFilter {
  metric: string;
}

export const GROUP_COLUMNS = ['experiment_id', 'variant', 'cycle_type', 'param_version', 'client_type', 'bucket'] as const;
export type GroupColumn = (typeof GROUP_COLUMNS)[number];

export interface AggregateQuery extends RunFilter {
  /** Metric names (default: every metric of the catalogue). */
  metrics?: readonly string[];
  /** Grouping columns, in output order; `bucket` needs `bucket`. */
  groupBy?: readonly string[];
  /** Width of the time bucket on ended_at: "<n> second|minute|hour|day|week[s]", e.g. "5 minutes". */
  bucket?: string;
}

/** A statement with its named parameters, ready for `conn.runAndReadAll(sql, values, types)`. */
export interface SqlStatement {
  readonly sql: string;
  readonly values: Record<string, DuckDBValue>;
  readonly types: Record<string, DuckDBType>;
}

type FilterKey = 'experimentId' | 'variant' | 'cycleType' | 'clientType' | 'paramVersion' | 'from' | 'to';

/** The fixed filter fragments, in the order they appear in WHERE. */
const FILTERS: readonly { key: FilterKey; param: string; sql: string; kind: 'text' | 'time' }[] = [
  { key: 'experimentId', param: 'experiment_id', sql: 'experiment_id = $experiment_id', kind: 'text' },
  { key: 'variant', param: 'variant', sql: 'variant = $variant', kind: 'text' },
  { key: 'cycleType', param: 'cycle_type', sql: 'cycle_type = $cycle_type', kind: 'text' },
  { key: 'clientType', param: 'client_type', sql: 'client_type = $client_type', kind: 'text' },
  { key: 'paramVersion', param: 'param_version', sql: 'param_version = $param_version', kind: 'text' },
  { key: 'from', param: 'from_ts', sql: 'ended_at >= $from_ts', kind: 'time' },
  { key: 'to', param: 'to_ts', sql: 'ended_at < $to_ts', kind: 'time' },
];

const BUCKET_UNITS: Readonly<Record<string, { days: number; micros: bigint }>> = {
  second: { days: 0, micros: 1_000_000n },
  minute: { days: 0, micros: 60_000_000n },
  hour: { days: 0, micros: 3_600_000_000n },
  day: { days: 1, micros: 0n },
  week: { days: 7, micros: 0n },
};
const BUCKET_RE = /^(\d{1,6}) ([a-z]+?)s?$/;

/** Parses a bucket width such as "5 minutes" or "1 hour" into an INTERVAL value; anything else is refused. */
export function parseBucket(text: string): DuckDBValue {
  const m = typeof text === 'string' ? BUCKET_RE.exec(text.trim().toLowerCase()) : null;
  const unit = m ? BUCKET_UNITS[m[2]!] : undefined;
  const n = m ? Number(m[1]) : 0;
  if (!m || !unit || n < 1) {
    throw new MaasflowError('METRIC_BAD_ARGUMENT', `bad time bucket ${JSON.stringify(text)}: expected "<n> <unit>" with n ≥ 1 and unit one of ${Object.keys(BUCKET_UNITS).join(', ')} (plural allowed), e.g. "5 minutes"`);
  }
  return intervalValue(0, unit.days * n, unit.micros * BigInt(n));
}

let defaultMarkers: readonly string[] | undefined;

/** The emulator's unknown markers (config/sim_scenarios.json), loaded once. */
export async function defaultUnknownMarkers(): Promise<readonly string[]> {
  if (!defaultMarkers) {
    const { loadScenarios } = await import('../../streams/emulator/config.ts');
    defaultMarkers = loadScenarios().unknown_markers;
  }
  return defaultMarkers;
}

/**
 * Builds the per-run statement of one metric: one row (`value`) per run of
 * its population, ordered by run_id. It filters on the population predicate,
 * not on `value IS NOT NULL`: DuckDB would push that filter down by inlining
 * the whole value expression (the answer judgement) and compute it twice.
 */
export function perRunSql(query: PerRunQuery, unknownMarkers: readonly string[] = []): SqlStatement {
  const def = metricDefinition(query.metric);
  const b = new Binder();
  const judged = judgedCte(query, [def], false, b, unknownMarkers);
  const sql = `${judged}
SELECT ${def.expr} AS value
FROM judged${def.where === null ? '' : `\nWHERE ${def.where}`}
ORDER BY run_id`;
  return b.statement(sql);
}

/** Builds the aggregate statement: per group, `runs` and for each metric `<name>` (aggregate) and `<name>_n` (runs with a value). */
export function aggregateMetricsSql(query: AggregateQuery, unknownMarkers: readonly string[] = []): { statement: SqlStatement; metrics: readonly MetricName[]; groupBy: readonly GroupColumn[] } {
  const asked = query.metrics ?? METRIC_NAMES;
  if (!Array.isArray(asked) || asked.length === 0) throw new MaasflowError('METRIC_BAD_ARGUMENT', `metrics must be a non-empty array of metric names (known: ${METRIC_NAMES.join(', ')})`);
  const names = [...new Set(asked.map((n) => metricDefinition(n).name))];
  const groupBy = checkGroupBy(query.groupBy ?? []);
  const bucketed = groupBy.includes('bucket');
  if (bucketed !== (query.bucket !== undefined)) {
    throw new MaasflowError('METRIC_BAD_ARGUMENT', bucketed ? 'groupBy has "bucket" but no bucket width was given (e.g. bucket: "5 minutes")' : `a bucket width was given (${JSON.stringify(query.bucket)}) but groupBy lacks "bucket"`);
  }
  const b = new Binder();
  const judged = judgedCte(query, names.map(metricDefinition), bucketed, b, unknownMarkers);
  const perRun = [...groupBy, ...names.map((n) => `${metricDefinition(n).value} AS ${n}`)];
  const select = [...groupBy, 'count(*) AS runs', ...names.map((n) => `${aggregateSql(metricDefinition(n), n)} AS ${n}, count(${n}) AS ${n}_n`)];
  let sql = `${judged},
per_run AS (
  SELECT ${perRun.join(',\n         ')}
  FROM judged
)
SELECT ${select.join(',\n       ')}
FROM per_run`;
  if (groupBy.length > 0) sql += `\nGROUP BY ${groupBy.join(', ')}\nORDER BY ${groupBy.map((g) => `${g} NULLS FIRST`).join(', ')}`;
  return { statement: b.statement(sql), metrics: names, groupBy };
}

function checkGroupBy(groupBy: readonly string[]): GroupColumn[] {
  if (!Array.isArray(groupBy)) throw new MaasflowError('METRIC_BAD_ARGUMENT', `groupBy must be an array of column names (known: ${GROUP_COLUMNS.join(', ')})`);
  const out: GroupColumn[] = [];
  for (const g of groupBy) {
    if (!(GROUP_COLUMNS as readonly string[]).includes(g)) {
      throw new MaasflowError('METRIC_UNKNOWN', `unknown group-by column ${JSON.stringify(g)}; known: ${GROUP_COLUMNS.join(', ')}`);
    }
    if (out.includes(g as GroupColumn)) throw new MaasflowError('METRIC_BAD_ARGUMENT', `group-by column "${g}" given twice`);
    out.push(g as GroupColumn);
  }
  return out;
}

/**
 * `WITH judged AS (...)`: the runs matching the filter with the derived
 * columns the metrics need (and the bucket). Columns that read other derived
 * columns are added one CTE up (`runs` -> `judged`).
 */
function judgedCte(filter: RunFilter, defs: readonly MetricDefinition[], bucketed: boolean, b: Binder, unknownMarkers: readonly string[]): string {
  const needed = new Set<DerivedName>();
  const add = (n: DerivedName): void => {
    if (needed.has(n)) return;
    DERIVED_COLUMNS[n].needs.forEach(add);
    needed.add(n);
  };
  defs.forEach((d) => d.needs.forEach(add));
  const ordered = (Object.keys(DERIVED_COLUMNS) as DerivedName[]).filter((n) => needed.has(n));
  const level1 = ordered.filter((n) => DERIVED_COLUMNS[n].level === 1).map((n) => `${DERIVED_COLUMNS[n].sql} AS ${n}`);
  const level2 = ordered.filter((n) => DERIVED_COLUMNS[n].level === 2).map((n) => `${DERIVED_COLUMNS[n].sql} AS ${n}`);
  if (needed.has('answer_outcome')) b.bind('unknown_pattern', unknownMarkersPattern(checkMarkers(filter.unknownMarkers ?? unknownMarkers)), VARCHAR);
  if (bucketed) {
    level1.push('time_bucket($bucket, ended_at) AS bucket');
    b.bind('bucket', parseBucket((filter as AggregateQuery).bucket ?? ''), INTERVAL);
  }
  const where: string[] = [];
  for (const f of FILTERS) {
    const v = filter[f.key];
    if (v === undefined) continue;
    if (f.kind === 'text') {
      if (typeof v !== 'string') throw new MaasflowError('METRIC_BAD_ARGUMENT', `filter ${f.key} must be a string, got ${typeof v}`);
      b.bind(f.param, v, VARCHAR);
    } else {
      const ms = v instanceof Date ? v.getTime() : v;
      if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new MaasflowError('METRIC_BAD_ARGUMENT', `filter ${f.key} must be epoch milliseconds or a valid Date, got ${String(v)}`);
      b.bind(f.param, timestampValue(BigInt(Math.round(ms * 1000))), TIMESTAMP);
    }
    where.push(f.sql);
  }
  const first = level2.length > 0 ? 'runs' : 'judged';
  let sql = `WITH ${first} AS (
  SELECT ${['*', ...level1].join(',\n         ')}
  FROM ${TABLE}${where.length > 0 ? `\n  WHERE ${where.join('\n    AND ')}` : ''}
)`;
  if (level2.length > 0) {
    sql += `,
judged AS (
  SELECT ${['*', ...level2].join(',\n         ')}
  FROM runs
)`;
  }
  return sql;
}

function checkMarkers(markers: readonly string[]): readonly string[] {
  if (!Array.isArray(markers) || markers.length === 0 || markers.some((m) => typeof m !== 'string' || m.trim() === '')) {
    throw new MaasflowError('METRIC_BAD_ARGUMENT', 'unknownMarkers must be a non-empty list of non-empty strings');
  }
  return markers;
}

class Binder {
  private readonly values: Record<string, DuckDBValue> = {};
  private readonly types: Record<string, DuckDBType> = {};
  bind(name: string, value: DuckDBValue, type: DuckDBType): void {
    this.values[name] = value;
    this.types[name] = type;
  }
  statement(sql: string): SqlStatement {
    return { sql, values: this.values, types: this.types };
  }
}
