/**
 * The per-observation scores of the batch pipeline as a file, in the format
 * its extension names (.jsonl, .parquet or .duckdb table
 * qmpt_observation_scores), written through qmpt/data's writers: atomically
 * for JSONL and Parquet, in one transaction for DuckDB.
 */
import { writeDuckDb, writeParquet, type Row } from '../data/duckdb-io.ts';
import { writeJsonl } from '../data/files.ts';
import { formatOf } from '../data/io.ts';
import type { ColumnDef, TableDef } from '../data/tables.ts';
import type { ScoredObservationRow } from './score.ts';

const column = (name: string, kind: 'VARCHAR' | 'DOUBLE'): ColumnDef => ({ name, kind, nullable: false });

export const OBSERVATION_SCORES_TABLE: TableDef = {
  name: 'qmpt_observation_scores',
  columns: [
    column('obs_id', 'VARCHAR'),
    column('pattern_id', 'VARCHAR'),
    column('layer_id', 'VARCHAR'),
    column('timestamp', 'DOUBLE'),
    column('modality', 'VARCHAR'),
    column('anomaly', 'DOUBLE'),
    column('rarity', 'DOUBLE'),
    column('distance', 'DOUBLE'),
    column('isolation', 'DOUBLE'),
  ],
  key: ['obs_id'],
};

/** Writes the rows to `file` (replacing it, or the table in a .duckdb file). */
export async function saveObservationScores(file: string, rows: readonly ScoredObservationRow[]): Promise<void> {
  const format = formatOf(file);
  if (format === 'jsonl') return writeJsonl(file, rows);
  const table = { def: OBSERVATION_SCORES_TABLE, table: OBSERVATION_SCORES_TABLE.name, records: rows as unknown as Row[] };
  if (format === 'parquet') return writeParquet(file, [table], `SELECT * FROM ${OBSERVATION_SCORES_TABLE.name} ORDER BY rowid`);
  return writeDuckDb(file, [table], 'replace');
}
