import path from 'node:path';
import { BIGINT, DuckDBDataChunk, DuckDBVector, quotedIdentifier as q, type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { Batch } from '../../engine/batch.ts';
import { defineSink } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { acquireInstance, type InstanceLease } from './instances.ts';
import { columnsDdl, ensureTable, qualified, type TableSpec } from './table.ts';
import { BadValue, COLUMN_TYPE_PATTERN, columnType, describeValue, type ColumnType } from './types.ts';

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
/** Staging-only column that orders the rows written between two flushes (upsert: the last one of a key wins). */
const SEQ = 'maasflow_seq';
const STAGING = 'maasflow_staging';

interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly isKey: boolean;
  /** The raw value for record i of a batch; throws BadValue when the path cannot be read. */
  readonly read: (batch: Batch, i: number) => unknown;
}

/**
 * Writes records as rows of a DuckDB table, one column per declared column.
 *
 * Rows written between two flushes reach the file atomically at flush (the
 * engine's checkpoint), so a crash before it leaves none of them in the
 * file. `append` mode appends with DuckDB's Appender (data chunks) directly
 * into the table inside a transaction that flush commits. `upsert` mode
 * appends into a TEMP staging table, and flush runs, in one transaction,
 * `INSERT OR REPLACE INTO table SELECT ... FROM staging` keeping the last
 * staged row of each key, then empties the staging table.
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
    const types: DuckDBType[] = columns.map((c) => c.type.vector);
    if (upsert) types.push(BIGINT);
    const tableSpec = (catalog: string): TableSpec => ({ catalog, table: p.table, columns: columns.map((c) => [c.name, c.type.sql] as const), key });

    let lease: InstanceLease | undefined;
    let conn: DuckDBConnection | undefined;
    let appender: DuckDBAppender | undefined;
    let upsertSql = '';
    let inTransaction = false;
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

    const encode = (batch: Batch): (DuckDBValue | null)[][] => {
      const n = batch.values.length;
      return columns.map((c) => {
        const out = new Array<DuckDBValue | null>(n);
        for (let i = 0; i < n; i++) {
          let raw: unknown = batch.values[i]; // shown when the value cannot be read at all
          try {
            raw = c.read(batch, i);
            if (raw === null || raw === undefined) {
              if (c.isKey) throw new BadValue('is part of the primary key and cannot be null');
              out[i] = null;
            } else out[i] = c.type.encode(raw);
          } catch (err) {
            if (!(err instanceof BadValue)) throw err;
            const k = batch.keys?.[i];
            throw new MaasflowError('RECORD_VALIDATE', `${where}: table ${p.table}, column ${c.name} (${c.type.sql}) ${err.message}, got ${describeValue(raw)} (record ${i} of the batch${k == null ? '' : `, key ${JSON.stringify(k)}`})`);
          }
        }
        return out;
      });
    };

    /**
     * Drops unflushed rows (never committed), closes the appender and connection, and releases the file.
     * After a failure (or with `quiet`), errors while tearing down are consequences of one already reported.
     */
    const close = async (quiet = false): Promise<void> => {
      const errors: unknown[] = [];
      const attempt = async (step: () => unknown): Promise<void> => {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      };
      const a = appender;
      const c = conn;
      const l = lease;
      appender = conn = lease = undefined;
      if (a) {
        await attempt(() => a.clear()); // unflushed rows are dropped, not committed
        await attempt(() => a.closeSync());
      }
      if (c) {
        if (inTransaction) await attempt(() => c.run('ROLLBACK'));
        await attempt(() => c.closeSync());
      }
      inTransaction = false;
      staged = 0;
      if (l) await attempt(() => l.release());
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
            upsertSql =
              `INSERT OR REPLACE INTO ${qualified(spec)} (${names}) SELECT ${names} FROM ${staging} ` +
              `QUALIFY row_number() OVER (PARTITION BY ${key.map(q).join(', ')} ORDER BY ${q(SEQ)} DESC) = 1; DELETE FROM ${staging}`;
            appender = await conn.createAppender(STAGING, 'main', 'temp');
          } else appender = await conn.createAppender(p.table, 'main', catalog);
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
        const cols = encode(batch); // validates every value before anything is appended
        if (upsert) {
          const seq = new Array<bigint>(n);
          for (let i = 0; i < n; i++) seq[i] = BigInt(staged + i);
          cols.push(seq);
        }
        try {
          if (!upsert && !inTransaction) {
            await conn!.run('BEGIN TRANSACTION');
            inTransaction = true;
          }
          appendChunks(appender!, types, cols, n);
        } catch (err) {
          throw fail(`appending ${n} rows failed`, err);
        }
        staged += n;
      },

      async flush() {
        if (failure) throw failure;
        if (staged === 0 && !inTransaction) return committed;
        try {
          appender!.flushSync();
          if (upsert) {
            await conn!.run('BEGIN TRANSACTION');
            inTransaction = true;
            await conn!.run(upsertSql);
          }
          await conn!.run('COMMIT');
          inTransaction = false;
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

function declaredColumns(p: DuckdbSinkParams, where: string): Column[] {
  const names = Object.keys(p.columns);
  const known = new Set(names.map((n) => n.toLowerCase()));
  const check = (list: string[], what: string): void => {
    const unknown = list.filter((n) => !known.has(n.toLowerCase()));
    if (unknown.length > 0) throw new MaasflowError('CONFIG', `${where}: ${what} ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not among the columns (${names.join(', ')})`);
  };
  check(p.key ?? [], 'key column');
  check(Object.keys(p.fields ?? {}), 'fields names column');
  if (known.size !== names.length) throw new MaasflowError('CONFIG', `${where}: column names differ only in case (${names.join(', ')}); DuckDB identifiers are case-insensitive`);
  if (p.mode === 'upsert' && known.has(SEQ)) throw new MaasflowError('CONFIG', `${where}: column name ${SEQ} is reserved for the upsert staging table`);
  const keys = new Set((p.key ?? []).map((k) => k.toLowerCase()));
  return names.map((name) => ({ name, type: columnType(p.columns[name]!), isKey: keys.has(name.toLowerCase()), read: reader(p.fields?.[name] ?? name) }));
}

function reader(source: string): Column['read'] {
  if (source === '$key') return (b, i) => (b.keys === null ? null : b.keys[i]);
  if (source === '$timestamp') return (b, i) => b.timestamps[i];
  const segments = source.split('.');
  return (b, i) => {
    let cur: unknown = b.values[i];
    if (cur === null || typeof cur !== 'object') throw new BadValue(`reads field ${source} of the record value, which is not an object`);
    for (const s of segments) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
    return cur;
  };
}

/** Appends column-major values as data chunks of DuckDB's vector size (faster than row-by-row appends). */
function appendChunks(appender: DuckDBAppender, types: DuckDBType[], cols: (DuckDBValue | null)[][], n: number): void {
  const size = DuckDBVector.standardSize();
  for (let lo = 0; lo < n; lo += size) {
    const m = Math.min(size, n - lo);
    const chunk = DuckDBDataChunk.create(types, m);
    for (let j = 0; j < types.length; j++) {
      const vector = chunk.getColumnVector(j);
      const col = cols[j]!;
      for (let k = 0; k < m; k++) vector.setItem(k, col[lo + k] ?? null);
      vector.flush();
    }
    appender.appendDataChunk(chunk);
  }
}
