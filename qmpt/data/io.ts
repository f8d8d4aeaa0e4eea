/**
 * Loading and saving the QMPT data models (docs/QMPT.md §1). The format
 * follows the file's extension:
 * - `.jsonl`: one record per line (blank lines skipped); errors name
 *   `file:line`;
 * - `.parquet`: the table form of qmpt/data/tables.ts (a layer's trajectory
 *   as a list of structs); errors name `file row n`;
 * - `.duckdb`: tables qmpt_observations, qmpt_patterns, qmpt_layers and
 *   qmpt_layer_states (or `options.table` / `options.statesTable`); saving
 *   replaces those tables by default (`mode: 'append'` adds to them) and
 *   leaves the file's other tables alone; errors name `file table t row n`.
 *
 * Every record loaded or saved is validated by qmpt/data/models.ts and ids
 * must be unique: a bad record fails the whole call with an error naming
 * where it is and its field; nothing is loaded or written in part. JSONL and
 * Parquet files are replaced atomically, DuckDB tables in one transaction.
 */
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import type { Layer, Observation, Pattern } from '../types.ts';
import { readDuckDb, readParquet, writeDuckDb, writeParquet, type Row, type TableRows, type WriteMode } from './duckdb-io.ts';
import { readJsonl, writeJsonl, type Located } from './files.ts';
import type { PatternSource } from './indexing.ts';
import { validateLayer, validateObservation, validatePattern } from './models.ts';
import { LAYERS_TABLE, LAYER_STATES_TABLE, OBSERVATIONS_TABLE, PATTERNS_TABLE, decodeRows, layerStateRows, type TableDef } from './tables.ts';

export type DataFormat = 'jsonl' | 'parquet' | 'duckdb';

/** Options of `.duckdb` files (any other format refuses them). */
export interface DuckDbOptions {
  /** The table (for layers: of the layers) instead of the default qmpt_* name. */
  table?: string;
  /** Layers only: the table of their states instead of qmpt_layer_states. */
  statesTable?: string;
  /** Saving: replace the tables (default) or append to them. */
  mode?: WriteMode;
}

const EXTENSIONS: Record<string, DataFormat> = { '.jsonl': 'jsonl', '.parquet': 'parquet', '.duckdb': 'duckdb' };

export function formatOf(file: string): DataFormat {
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) throw new MaasflowError('CONFIG', `${file}: unknown data format "${path.extname(file)}" (use .jsonl, .parquet or .duckdb)`, { location: { file } });
  return format;
}

function formatWithOptions(file: string, options: DuckDbOptions): DataFormat {
  const format = formatOf(file);
  const given = Object.keys(options).filter((k) => options[k as keyof DuckDbOptions] !== undefined);
  if (format !== 'duckdb' && given.length > 0) throw new MaasflowError('CONFIG', `${file}: option ${given.join(', ')} applies to .duckdb files only`, { location: { file } });
  return format;
}

/** What one kind of record needs: its validator, its id and its table. */
interface RecordKind<T> {
  readonly what: string;
  readonly def: TableDef;
  readonly idField: string;
  id(record: T): string;
  validate(value: unknown, where: string): T;
}

const OBSERVATION: RecordKind<Observation> = { what: 'observation', def: OBSERVATIONS_TABLE, idField: 'obs_id', id: (o) => o.obs_id, validate: validateObservation };
const PATTERN: RecordKind<Pattern> = { what: 'pattern', def: PATTERNS_TABLE, idField: 'pattern_id', id: (p) => p.pattern_id, validate: validatePattern };
const LAYER: RecordKind<Layer> = { what: 'layer', def: LAYERS_TABLE, idField: 'layer_id', id: (l) => l.layer_id, validate: validateLayer };

/** Validates every record and refuses a repeated id, naming both places. */
function validateAll<T>(kind: RecordKind<T>, located: Iterable<Located>): T[] {
  const seen = new Map<string, string>();
  const out: T[] = [];
  for (const { value, where } of located) {
    const record = kind.validate(value, where);
    const id = kind.id(record);
    const first = seen.get(id);
    if (first !== undefined) throw new MaasflowError('RECORD_VALIDATE', `${where} /${kind.idField}: ${kind.what} ${JSON.stringify(id)} is already at ${first}`);
    seen.set(id, where);
    out.push(record);
  }
  return out;
}

const inMemory = (file: string, records: Iterable<unknown>): Located[] => Array.from(records, (value, i) => ({ value, where: `saving ${file}: record ${i}` }));
const rowsAt = (rows: readonly Row[], whereOf: (i: number) => string): Located[] => rows.map((value, i) => ({ value, where: whereOf(i) }));

async function readJsonlAll(file: string): Promise<Located[]> {
  const out: Located[] = [];
  for await (const v of readJsonl(file)) out.push(v);
  return out;
}

/** Observations or patterns: one table, the same in every format. */
async function loadFlat<T>(kind: RecordKind<T>, file: string, options: DuckDbOptions): Promise<T[]> {
  switch (formatWithOptions(file, options)) {
    case 'jsonl':
      return validateAll(kind, await readJsonlAll(file));
    case 'parquet': {
      const whereOf = (i: number): string => `${file} row ${i + 1}`;
      return validateAll(kind, rowsAt(decodeRows(kind.def, await readParquet(file), whereOf), whereOf));
    }
    case 'duckdb': {
      const table = options.table ?? kind.def.name;
      const whereOf = (i: number): string => `${file} table ${table} row ${i + 1}`;
      const [rows] = await readDuckDb(file, [table]);
      return validateAll(kind, rowsAt(decodeRows(kind.def, rows!, whereOf), whereOf));
    }
  }
}

async function saveFlat<T>(kind: RecordKind<T>, file: string, records: Iterable<T>, options: DuckDbOptions): Promise<void> {
  const format = formatWithOptions(file, options);
  const valid = validateAll(kind, inMemory(file, records));
  if (format === 'jsonl') return writeJsonl(file, valid);
  const table: TableRows = { def: kind.def, table: options.table ?? kind.def.name, records: valid as Row[] };
  if (format === 'parquet') return writeParquet(file, [table], `SELECT * FROM ${kind.def.name} ORDER BY rowid`);
  return writeDuckDb(file, [table], options.mode ?? 'replace');
}

export function loadObservations(file: string, options: DuckDbOptions = {}): Promise<Observation[]> {
  return loadFlat(OBSERVATION, file, options);
}

export function saveObservations(file: string, observations: Iterable<Observation>, options: DuckDbOptions = {}): Promise<void> {
  return saveFlat(OBSERVATION, file, observations, options);
}

/** pattern_id → pattern, in the file's order (the seed's dict[str, Pattern]). */
export async function loadPatterns(file: string, options: DuckDbOptions = {}): Promise<Map<string, Pattern>> {
  return new Map((await loadFlat(PATTERN, file, options)).map((p) => [p.pattern_id, p]));
}

/** Patterns as loadPatterns gives them (a map's keys must be the pattern_ids) or any iterable of patterns. */
export async function savePatterns(file: string, patterns: PatternSource, options: DuckDbOptions = {}): Promise<void> {
  if (patterns instanceof Map) {
    for (const [key, p] of patterns as ReadonlyMap<string, Pattern>) {
      if (key !== p.pattern_id) throw new MaasflowError('RECORD_VALIDATE', `saving ${file}: the map key ${JSON.stringify(key)} is not the pattern's /pattern_id ${JSON.stringify(p.pattern_id)}`);
    }
  }
  return saveFlat(PATTERN, file, patterns instanceof Map ? patterns.values() : (patterns as Iterable<Pattern>), options);
}

const STATE_FIELDS = ['t', 'stress', 'protection', 'macro_state'] as const;
const stateOf = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'layer_id' && k !== 'seq'));

/** Layers with their trajectories, in the file's order. */
export async function loadLayers(file: string, options: DuckDbOptions = {}): Promise<Layer[]> {
  switch (formatWithOptions(file, options)) {
    case 'jsonl':
      return validateAll(LAYER, await readJsonlAll(file));
    case 'parquet': {
      const whereOf = (i: number): string => `${file} row ${i + 1}`;
      const layers = decodeRows(LAYERS_TABLE, await readParquet(file), whereOf).map((row, i) => {
        const states = row.state_trajectory;
        if (!Array.isArray(states)) return row; // validation names the field
        return { ...row, state_trajectory: decodeRows(LAYER_STATES_TABLE, states as Row[], (j) => `${whereOf(i)} /state_trajectory/${j}`) };
      });
      return validateAll(LAYER, rowsAt(layers, whereOf));
    }
    case 'duckdb':
      return loadDuckDbLayers(file, options.table ?? LAYERS_TABLE.name, options.statesTable ?? LAYER_STATES_TABLE.name);
  }
}

async function loadDuckDbLayers(file: string, layersTable: string, statesTable: string): Promise<Layer[]> {
  const [layerRows, stateRows] = await readDuckDb(file, [layersTable, statesTable]);
  const layerWhere = (i: number): string => `${file} table ${layersTable} row ${i + 1}`;
  const stateWhere = (i: number): string => `${file} table ${statesTable} row ${i + 1}`;
  const layers = decodeRows(LAYERS_TABLE, layerRows!, layerWhere);
  const states = new Map<unknown, { seq: number; state: Row }[]>(layers.map((l) => [l.layer_id, []]));
  decodeRows(LAYER_STATES_TABLE, stateRows!, stateWhere).forEach((row, i) => {
    const ofLayer = states.get(row.layer_id);
    if (!ofLayer) throw new MaasflowError('RECORD_VALIDATE', `${stateWhere(i)} /layer_id: no layer ${JSON.stringify(row.layer_id)} in table ${layersTable}`);
    if (typeof row.seq !== 'number') throw new MaasflowError('RECORD_VALIDATE', `${stateWhere(i)} /seq: must be an integer, got ${String(row.seq)}`);
    ofLayer.push({ seq: row.seq, state: stateOf(row) });
  });
  const withStates = layers.map((l) => ({ ...l, state_trajectory: states.get(l.layer_id)!.sort((a, b) => a.seq - b.seq).map((s) => s.state) }));
  return validateAll(LAYER, rowsAt(withStates, layerWhere));
}

/** Parquet: one row per layer, its trajectory a list of structs in order. */
const LAYERS_PARQUET_QUERY = `
  SELECT l.layer_id, any_value(l.description) AS description, any_value(l.patterns) AS patterns,
    coalesce(list(struct_pack(${STATE_FIELDS.map((f) => `${f} := s.${f}`).join(', ')}) ORDER BY s.seq) FILTER (WHERE s.seq IS NOT NULL), []) AS state_trajectory
  FROM ${LAYERS_TABLE.name} l LEFT JOIN ${LAYER_STATES_TABLE.name} s USING (layer_id)
  GROUP BY l.layer_id, l.rowid ORDER BY l.rowid`;

export async function saveLayers(file: string, layers: Iterable<Layer>, options: DuckDbOptions = {}): Promise<void> {
  const format = formatWithOptions(file, options);
  const valid = validateAll(LAYER, inMemory(file, layers));
  if (format === 'jsonl') return writeJsonl(file, valid);
  const tables: TableRows[] = [
    { def: LAYERS_TABLE, table: options.table ?? LAYERS_TABLE.name, records: valid as unknown as Row[] },
    { def: LAYER_STATES_TABLE, table: options.statesTable ?? LAYER_STATES_TABLE.name, records: layerStateRows(valid) },
  ];
  if (format === 'parquet') return writeParquet(file, tables, LAYERS_PARQUET_QUERY);
  return writeDuckDb(file, tables, options.mode ?? 'replace');
}
