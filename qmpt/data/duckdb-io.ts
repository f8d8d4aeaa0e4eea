/**
 * Parquet files and DuckDB tables for qmpt/data/io.ts, through
 * @duckdb/node-api: rows go in with the Appender (qmpt/data/tables.ts gives
 * the columns), Parquet through an in-memory database and `COPY ... TO`
 * (FORMAT parquet) into a temp file renamed over the target, and come back
 * as plain row objects in their stored order.
 */
import { DuckDBInstance, quotedIdentifier as q, quotedString, type DuckDBConnection } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import { isKeyConflict } from '../../sinks/duckdb/writers.ts';
import { acquireInstance } from '../../sinks/duckdb/instances.ts';
import { ensureTable } from '../../sinks/duckdb/table.ts';
import { cannotRead, replaceAtomically, requireFile } from './files.ts';
import { appendRecords, columnPairs, columnsDdl, type TableDef } from './tables.ts';

export type Row = Record<string, unknown>;

/** One table's rows to write: `def` gives the columns, `table` the name in the database. */
export interface TableRows {
  readonly def: TableDef;
  readonly table: string;
  readonly records: readonly Row[];
}

/** replace: the tables hold exactly the records afterwards; append: the records are added (a repeated key is a CONFLICT). */
export type WriteMode = 'replace' | 'append';

async function withMemoryDb<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A connection to a DuckDB file, through the process-wide instance of that file (sinks/duckdb/instances.ts). */
async function withFileDb<T>(file: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const lease = await acquireInstance(file, 'qmpt-io');
  try {
    const conn = await lease.instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    lease.release();
  }
}

async function appendTable(conn: DuckDBConnection, t: TableRows): Promise<void> {
  const appender = await conn.createAppender(t.table);
  try {
    appendRecords(appender, t.def, t.records);
    appender.flushSync();
  } catch (err) {
    // err (a repeated key, say) is what to report: clearing and closing the appender of an aborted transaction fail as well
    for (const step of [() => appender.clear(), () => appender.closeSync()]) {
      try {
        step();
      } catch {
        // superseded by err
      }
    }
    throw err;
  }
  appender.closeSync();
}

/** Inside one transaction: either every table is written or none changes. */
async function inTransaction(conn: DuckDBConnection, fn: () => Promise<void>): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await fn();
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}

/**
 * Writes the tables into scratch tables of an in-memory database and copies
 * `query` over them to the Parquet file (atomically). `query` reads the
 * tables by their `table` names.
 */
export async function writeParquet(file: string, tables: readonly TableRows[], query: string): Promise<void> {
  await replaceAtomically(file, (temp) =>
    withMemoryDb(async (conn) => {
      for (const t of tables) {
        await conn.run(`CREATE TABLE ${q(t.table)} ${columnsDdl(t.def, false)}`);
        await appendTable(conn, t);
      }
      await conn.run(`COPY (${query}) TO ${quotedString(temp)} (FORMAT parquet)`);
    }),
  );
}

/** The rows of a Parquet file in file order. */
export async function readParquet(file: string): Promise<Row[]> {
  requireFile(file);
  return withMemoryDb(async (conn) => {
    try {
      const reader = await conn.runAndReadAll(`SELECT * EXCLUDE (file_row_number) FROM read_parquet(${quotedString(file)}, file_row_number = true) ORDER BY file_row_number`);
      return reader.getRowObjectsJS() as Row[];
    } catch (err) {
      throw new MaasflowError('RECORD_DECODE', `${file}: cannot read it as Parquet: ${(err as Error).message}`, { cause: err, location: { file } });
    }
  });
}

/** Writes the tables into a DuckDB file (created if missing) in one transaction; other tables of the file stay as they are. */
export async function writeDuckDb(file: string, tables: readonly TableRows[], mode: WriteMode): Promise<void> {
  await withFileDb(file, async (conn) => {
    const catalog = String((await conn.runAndReadAll('SELECT current_database()')).getRowsJS()[0]![0]);
    try {
      await inTransaction(conn, async () => {
        for (const t of tables) {
          if (mode === 'replace') await conn.run(`CREATE OR REPLACE TABLE ${q(t.table)} ${columnsDdl(t.def)}`);
          else await ensureTable(conn, { catalog, table: t.table, columns: columnPairs(t.def), key: t.def.key }, true, `${file}`);
          await appendTable(conn, t);
        }
      });
    } catch (err) {
      if (err instanceof MaasflowError) throw err;
      if (isKeyConflict(err)) throw new MaasflowError('CONFLICT', `${file}: appending to ${tables.map((t) => t.table).join(', ')} repeats a key already there (nothing was written): ${(err as Error).message}`, { cause: err, location: { file } });
      throw new MaasflowError('RUNTIME', `${file}: writing ${tables.map((t) => t.table).join(', ')} failed (nothing was written): ${(err as Error).message}`, { cause: err, location: { file } });
    }
  });
}

/** The rows of each named table of a DuckDB file, in insertion order; a missing table is a CONFIG error naming it. */
export async function readDuckDb(file: string, tables: readonly string[]): Promise<Row[][]> {
  requireFile(file);
  return withFileDb(file, async (conn) => {
    const present = new Set((await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`)).getRowsJS().map((r) => String(r[0])));
    const out: Row[][] = [];
    for (const table of tables) {
      if (!present.has(table)) {
        throw new MaasflowError('CONFIG', `${file}: no table ${table} (tables: ${[...present].sort().join(', ') || 'none'})`, { location: { file } });
      }
      try {
        out.push((await conn.runAndReadAll(`SELECT * FROM ${q(table)} ORDER BY rowid`)).getRowObjectsJS() as Row[]);
      } catch (err) {
        throw cannotRead(`${file} table ${table}`, err);
      }
    }
    return out;
  });
}
