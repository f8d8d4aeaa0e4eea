import path from 'node:path';
import { quotedIdentifier as q, type DuckDBConnection } from '@duckdb/node-api';
import { defineSink } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { ChunkFiller, declaredColumns, SEQ } from './columns.ts';
import { acquireInstance, type InstanceLease } from './instances.ts';
import { columnsDdl, ensureTable, qualified, type TableSpec } from './table.ts';
import { COLUMN_TYPE_PATTERN } from './types.ts';
import { AppendWriter, UpsertWriter, type TableWriter } from './writers.ts';

export interface DuckdbSinkParams {
  /** The DuckDB database file (created if missing). */
  path: string;
  table: string;
  /** Column name -> DuckDB type, in table order. */
  columns: Record<string, string>;
  mode?: 'append' | 'upsert';
  /** Primary key of the table; required for upsert. */
  key?: string[];
  /** CREATE TABLE IF NOT EXISTS with `columns` and `key` (default true). */
  create?: boolean;
  /** Column -> where its value comes from: a dotted path in the record value, `$key` or `$timestamp` (default: the field named like the column). */
  fields?: Record<string, string>;
}

const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_]*$';
const FIELD = '^(\\$key|\\$timestamp|[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)$';
const STAGING = 'maasflow_staging';

/**
 * Writes records as rows of a DuckDB table, one column per declared column.
 *
 * Rows written between two flushes reach the file atomically at flush (the
 * engine's checkpoint), so a crash before it leaves none of them in the
 * file. `append` mode appends with DuckDB's Appender (data chunks) directly
 * into the table inside a transaction that flush commits (writers.ts,
 * AppendWriter). `upsert` mode does the same while every key is new, and
 * falls back to a TEMP staging table upserted with `INSERT OR REPLACE ...`
 * (the last row of each key wins) when a key is already there (writers.ts,
 * UpsertWriter).
 *
 * Delivery: the checkpoint stores the number of rows committed. DuckDB
 * commits at flush, just before the engine saves its checkpoint; if the
 * process dies between the two, the restart replays the batches since the
 * previous checkpoint. In `upsert` mode the replayed rows replace themselves
 * (idempotent: the table ends as after an uninterrupted run). In `append`
 * mode they are appended again (at-least-once; with a `key`, the duplicate
 * fails the flush instead).
 *
 * Values are checked, never coerced: a value of the wrong type, an array of
 * the wrong length or a null key is a RECORD_VALIDATE error naming the sink,
 * table, column and value. A missing field is NULL.
 *
 * One process may write a DuckDB file (DuckDB's file lock); sinks of one
 * process writing the same file share one DuckDB instance.
 */
export const duckdbSink = defineSink<DuckdbSinkParams>({
  type: 'duckdb',
  summary: 'DuckDB table (append or upsert; rows committed atomically at each checkpoint)',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'table', 'columns'],
    properties: {
      path: { type: 'string', minLength: 1 },
      table: { type: 'string', pattern: IDENTIFIER },
      columns: { type: 'object', minProperties: 1, propertyNames: { pattern: IDENTIFIER }, additionalProperties: { type: 'string', pattern: COLUMN_TYPE_PATTERN } },
      mode: { enum: ['append', 'upsert'] },
      key: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: IDENTIFIER } },
      create: { type: 'boolean' },
      fields: { type: 'object', propertyNames: { pattern: IDENTIFIER }, additionalProperties: { type: 'string', pattern: FIELD } },
    },
    if: { properties: { mode: { const: 'upsert' } }, required: ['mode'] },
    then: { required: ['key'] },
  },
  create(p, ctx) {
    const where = `duckdb sink "${ctx.id}"`;
    const file = path.resolve(p.path);
    const upsert = p.mode === 'upsert';
    const key = p.key ?? [];
    const columns = declaredColumns(p, where);
    const filler = new ChunkFiller(columns, `${where}: table ${p.table}`);
    const tableSpec = (catalog: string): TableSpec => ({ catalog, table: p.table, columns: columns.map((c) => [c.name, c.type.sql] as const), key });

    let lease: InstanceLease | undefined;
    let conn: DuckDBConnection | undefined;
    let writer: TableWriter | undefined;
    let staged = 0;
    let committed = 0;
    let failure: MaasflowError | undefined;

    /** Wraps a DuckDB failure; the sink stays failed (its transaction is aborted). */
    const fail = (what: string, err: unknown): MaasflowError => {
      const message = (err as Error).message;
      const hint = !upsert && key.length > 0 && /duplicate key/i.test(message) ? '; mode append refuses a key that is already in the table or repeated among the new rows (mode upsert keeps the last one)' : '';
      failure = err instanceof MaasflowError ? err : new MaasflowError('RUNTIME', `${where}: ${what}${hint} (table ${p.table} in ${file}): ${message}`, { cause: err });
      return failure;
    };

    /**
     * Drops unflushed rows (never committed), closes the appenders and connection, and releases the file.
     * After a failure (or with `quiet`), errors while tearing down are consequences of one already reported.
     */
    const close = async (quiet = false): Promise<void> => {
      const w = writer;
      const c = conn;
      const l = lease;
      writer = conn = lease = undefined;
      staged = 0;
      const errors = w ? await w.discard() : []; // unflushed rows are dropped, not committed
      for (const step of [() => c?.closeSync(), () => l?.release()]) {
        try {
          step();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0 && !failure && !quiet) throw new MaasflowError('RUNTIME', `${where}: closing ${file} failed: ${(errors[0] as Error).message}`, { cause: errors[0] });
    };

    return {
      async open(restore) {
        if (restore !== undefined && typeof restore !== 'number') {
          throw new MaasflowError('CHECKPOINT_MISMATCH', `${where}: the checkpoint holds ${JSON.stringify(restore)}, not a row count; run with --fresh to start over`);
        }
        committed = restore ?? 0;
        lease = await acquireInstance(file, ctx.id);
        try {
          conn = await lease.instance.connect();
          const catalog = String((await conn.runAndReadAll('SELECT current_database()')).getRowsJS()[0]![0]);
          const spec = tableSpec(catalog);
          await ensureTable(conn, spec, p.create ?? true, where);
          if (upsert) {
            const staging = `temp.main.${q(STAGING)}`;
            await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(STAGING)} ${columnsDdl({ ...spec, key: [] }, `, ${q(SEQ)} BIGINT`)}`);
            const names = columns.map((c) => q(c.name)).join(', ');
            const upsertSql =
              `INSERT OR REPLACE INTO ${qualified(spec)} (${names}) SELECT ${names} FROM ${staging} ` +
              `QUALIFY row_number() OVER (PARTITION BY ${key.map(q).join(', ')} ORDER BY ${q(SEQ)} DESC) = 1; DELETE FROM ${staging}`;
            const stagingAppender = await conn.createAppender(STAGING, 'main', 'temp');
            const fallbacks = ctx.metrics.counter('duckdb_upsert_fallbacks', { sink: ctx.id }, 'upsert intervals whose rows met a key already in the table (or repeated) and were upserted through the staging table');
            writer = new UpsertWriter({ conn, target: await conn.createAppender(p.table, 'main', catalog), staging: stagingAppender, upsertSql, filler, fallbacks });
          } else writer = new AppendWriter(conn, await conn.createAppender(p.table, 'main', catalog), filler);
        } catch (err) {
          await close(true); // the engine closes too, but a failed open must not keep the file open in any case
          if (err instanceof MaasflowError) throw err;
          throw new MaasflowError('CONFIG', `${where}: cannot prepare table ${p.table} in ${file}: ${(err as Error).message}`, { cause: err });
        }
      },

      async write(batch) {
        if (failure) throw failure;
        const n = batch.values.length;
        if (n === 0) return;
        try {
          await writer!.write(batch);
        } catch (err) {
          // a bad value appends nothing: the batch is refused, the sink stays usable
          if (err instanceof MaasflowError && err.code === 'RECORD_VALIDATE') throw err;
          throw fail(`appending ${n} rows failed`, err);
        }
        staged += n;
      },

      async flush() {
        if (failure) throw failure;
        if (staged === 0) return committed;
        try {
          await writer!.commit();
        } catch (err) {
          throw fail(`committing ${staged} rows failed`, err);
        }
        committed += staged;
        staged = 0;
        return committed;
      },

      close: () => close(),
    };
  },
});
