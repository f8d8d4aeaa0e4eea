/**
 * The table form of the QMPT data models, shared by the Parquet files and the
 * DuckDB tables (qmpt/data/io.ts): one column per field, payload, metadata,
 * components, metrics_version and macro_state as JSON text, features as
 * DOUBLE[], tags and layer patterns as VARCHAR[], null as SQL NULL. A layer's
 * trajectory is a table of its own (qmpt_layer_states, one row per state,
 * `seq` its place in the trajectory).
 */
import { DOUBLE, LIST, VARCHAR, quotedIdentifier as q, type DuckDBAppender } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import type { Layer, LayerState, Observation, Pattern } from '../types.ts';

export type ColumnKind = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'JSON' | 'VARCHAR[]' | 'DOUBLE[]';

export interface ColumnDef {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
}

export interface TableDef {
  /** The default table name in a DuckDB file. */
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly key: readonly string[];
}

const col = (name: string, kind: ColumnKind, nullable = false): ColumnDef => ({ name, kind, nullable });

export const OBSERVATIONS_TABLE: TableDef = {
  name: 'qmpt_observations',
  columns: [col('obs_id', 'VARCHAR'), col('pattern_id', 'VARCHAR'), col('layer_id', 'VARCHAR', true), col('timestamp', 'DOUBLE'), col('modality', 'VARCHAR'), col('payload', 'JSON'), col('tags', 'VARCHAR[]')],
  key: ['obs_id'],
};

export const PATTERNS_TABLE: TableDef = {
  name: 'qmpt_patterns',
  columns: [
    col('pattern_id', 'VARCHAR'),
    col('layer_id', 'VARCHAR'),
    col('metadata', 'JSON'),
    col('features', 'DOUBLE[]', true),
    col('anomaly_score', 'DOUBLE', true),
    col('reflexivity', 'DOUBLE', true),
    col('self_operator', 'DOUBLE', true),
    col('components', 'JSON', true),
    col('feature_spec_version', 'VARCHAR', true),
    col('metrics_version', 'JSON', true),
  ],
  key: ['pattern_id'],
};

export const LAYERS_TABLE: TableDef = {
  name: 'qmpt_layers',
  columns: [col('layer_id', 'VARCHAR'), col('description', 'VARCHAR'), col('patterns', 'VARCHAR[]')],
  key: ['layer_id'],
};

export const LAYER_STATES_TABLE: TableDef = {
  name: 'qmpt_layer_states',
  columns: [col('layer_id', 'VARCHAR'), col('seq', 'INTEGER'), col('t', 'DOUBLE'), col('stress', 'DOUBLE', true), col('protection', 'DOUBLE', true), col('macro_state', 'JSON')],
  key: ['layer_id', 'seq'],
};

/** `("a" VARCHAR NOT NULL, ..., PRIMARY KEY (...))`; scratch tables skip the key (ids were checked before). */
export function columnsDdl(def: TableDef, withKey = true): string {
  const cols = def.columns.map((c) => `${q(c.name)} ${c.kind}${c.nullable ? '' : ' NOT NULL'}`);
  return `(${[...cols, ...(withKey ? [`PRIMARY KEY (${def.key.map(q).join(', ')})`] : [])].join(', ')})`;
}

/** The columns as ensureTable (sinks/duckdb/table.ts) compares them. */
export const columnPairs = (def: TableDef): (readonly [string, string])[] => def.columns.map((c) => [c.name, c.kind] as const);

/** Rows of the layer-states table: each layer's trajectory, `seq` its index. */
export function layerStateRows(layers: readonly Layer[]): Record<string, unknown>[] {
  return layers.flatMap((l) => l.state_trajectory.map((s, seq) => ({ layer_id: l.layer_id, seq, ...s })));
}

/** Appends records (already validated: every value fits its column) in column order. */
export function appendRecords(appender: DuckDBAppender, def: TableDef, records: readonly (Observation | Pattern | Layer | LayerState | Record<string, unknown>)[]): void {
  const columns = def.columns;
  for (const record of records) {
    const r = record as unknown as Record<string, unknown>;
    for (const c of columns) {
      const v = r[c.name];
      if (v === null || v === undefined) appender.appendNull();
      else if (c.kind === 'VARCHAR') appender.appendVarchar(v as string);
      else if (c.kind === 'DOUBLE') appender.appendDouble(v as number);
      else if (c.kind === 'INTEGER') appender.appendInteger(v as number);
      else if (c.kind === 'JSON') appender.appendVarchar(JSON.stringify(v));
      else if (c.kind === 'VARCHAR[]') appender.appendList(v as string[], LIST(VARCHAR));
      else appender.appendList(v as number[], LIST(DOUBLE));
    }
    appender.endRow();
  }
}

/**
 * Rows read back as the records they store: JSON text parsed, everything else
 * as DuckDB gives it; columns the table does not define pass through (so the
 * model's validation names them as unknown fields). `whereOf(i)` names row i.
 */
export function decodeRows(def: TableDef, rows: readonly Record<string, unknown>[], whereOf: (i: number) => string): Record<string, unknown>[] {
  const json = new Set(def.columns.filter((c) => c.kind === 'JSON').map((c) => c.name));
  return rows.map((row, i) => {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(row)) out[name] = json.has(name) && typeof v === 'string' ? parseJsonText(v, () => `${whereOf(i)} /${name}`) : v;
    return out;
  });
}

function parseJsonText(text: string, where: () => string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MaasflowError('RECORD_DECODE', `${where()}: not JSON text (${(err as Error).message})`, { cause: err });
  }
}
