import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Batch } from '../../engine/batch.ts';
import type { Counter } from '../../engine/metrics.ts';
import type { ChunkFiller } from './columns.ts';

/**
 * How rows reach the table between two commits (the engine's checkpoints).
 * The sink owns the connection and turns DuckDB errors into its own; a
 * RECORD_VALIDATE error from `write` appends nothing and leaves the writer usable.
 */
export interface TableWriter {
  /** Checks and appends one batch inside the open transaction (begun by the first write after a commit). */
  write(batch: Batch): Promise<void>;
  /** Makes every row written since the last commit durable, in one transaction. */
  commit(): Promise<void>;
  /** Drops everything written since the last commit and closes the appenders; tries every step and returns what failed. */
  discard(): Promise<unknown[]>;
}

/** A transaction on the sink's connection that knows whether it is open. */
class Transaction {
  open = false;
  constructor(private readonly conn: DuckDBConnection) {}
  async begin(): Promise<void> {
    if (this.open) return;
    await this.conn.run('BEGIN TRANSACTION');
    this.open = true;
  }
  async commit(): Promise<void> {
    await this.conn.run('COMMIT');
    this.open = false;
  }
  async rollback(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.conn.run('ROLLBACK');
  }
}

async function attemptAll(steps: (() => unknown)[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

/** `append`: DuckDB's Appender straight into the table, inside a transaction that commit ends. */
export class AppendWriter implements TableWriter {
  private readonly tx: Transaction;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly filler: ChunkFiller,
  ) {
    this.tx = new Transaction(conn);
  }

  async write(batch: Batch): Promise<void> {
    const chunks = this.filler.fill(batch); // every value is checked before anything is appended
    await this.tx.begin();
    for (const chunk of chunks) this.appender.appendDataChunk(chunk);
  }

  async commit(): Promise<void> {
    if (!this.tx.open) return;
    this.appender.flushSync();
    await this.tx.commit();
  }

  discard(): Promise<unknown[]> {
    const a = this.appender;
    return attemptAll([() => a.clear(), () => a.closeSync(), () => this.tx.rollback()]);
  }
}

/** Rows an interval may append straight into the table before the rest of it is staged (bounds the batches kept for a fallback). */
export const DIRECT_ROWS = 65_536;
/** After a fallback, this many intervals at most go straight to the staging table before the direct path is tried again. */
const MAX_BACKOFF = 64;

/**
 * `upsert`, direct first. Most upsert streams write each key once (the
 * sensor: one row per run; replays only after a restart), so an interval
 * starts by appending its rows straight into the table, as `append` does: the
 * primary key (DuckDB's ART index) checks each of them. The batches are kept
 * meanwhile. A key that is already in the table or repeated among the new
 * rows fails that check (at the appender's flush), which aborts the
 * transaction: the writer rolls back and writes the kept batches again into
 * a TEMP staging table, and commit runs `INSERT OR REPLACE ... QUALIFY
 * row_number() ... = 1` (the last row of each key wins) from it. After such a
 * fallback the next 1, 2, 4, ... up to 64 intervals use the staging table
 * directly, so a stream that keeps updating its keys (window results) wastes
 * at most one direct attempt in 64 intervals; one that does not goes back to
 * the direct path after a single staged interval.
 *
 * Memory: at most DIRECT_ROWS rows are kept. When an interval reaches them,
 * the direct rows are checked at once (appender flush) and released, and the
 * rest of the interval is staged (a conflict with a released row could no
 * longer be undone). INSERT OR REPLACE replaces rows appended earlier in the
 * same transaction, so the two parts combine to the same table.
 */
export class UpsertWriter implements TableWriter {
  private readonly tx: Transaction;
  /** The interval began on the direct path (it stays there until a fallback or DIRECT_ROWS). */
  private startedDirect = true;
  /** Writes go straight into the table now. */
  private direct = true;
  private kept: Batch[] = [];
  private keptRows = 0;
  /** Rows staged in this interval: the seq of the next one. */
  private staged = 0;
  private fellBack = false;
  private skip = 0;
  private backoff = 1;

  constructor(
    private readonly o: {
      conn: DuckDBConnection;
      target: DuckDBAppender;
      staging: DuckDBAppender;
      /** Upserts the staging table into the table and empties it. */
      upsertSql: string;
      filler: ChunkFiller;
      fallbacks: Counter;
    },
  ) {
    this.tx = new Transaction(o.conn);
  }

  async write(batch: Batch): Promise<void> {
    if (!this.direct) return this.stage(batch);
    const chunks = this.o.filler.fill(batch); // every value is checked before anything is appended
    await this.tx.begin();
    this.kept.push(batch);
    this.keptRows += batch.values.length;
    try {
      for (const chunk of chunks) this.o.target.appendDataChunk(chunk); // may flush, and so check keys, on its own
      if (this.keptRows >= DIRECT_ROWS) {
        this.o.target.flushSync();
        this.kept = [];
        this.keptRows = 0;
        this.direct = false;
      }
    } catch (err) {
      if (!isKeyConflict(err)) throw err;
      await this.fallBack();
    }
  }

  async commit(): Promise<void> {
    if (!this.tx.open) return;
    if (this.direct) {
      try {
        this.o.target.flushSync();
      } catch (err) {
        if (!isKeyConflict(err)) throw err;
        await this.fallBack();
      }
    }
    if (this.staged > 0) {
      this.o.staging.flushSync();
      await this.o.conn.run(this.o.upsertSql);
    }
    await this.tx.commit();
    if (this.startedDirect && !this.fellBack) this.backoff = 1; // the direct path worked: a later conflict starts the backoff anew
    this.kept = [];
    this.keptRows = 0;
    this.staged = 0;
    this.fellBack = false;
    this.startedDirect = this.direct = this.skip === 0;
    if (this.skip > 0) this.skip--;
  }

  discard(): Promise<unknown[]> {
    const { target, staging } = this.o;
    this.kept = [];
    return attemptAll([() => target.clear(), () => staging.clear(), () => target.closeSync(), () => staging.closeSync(), () => this.tx.rollback()]);
  }

  private async stage(batch: Batch): Promise<void> {
    const chunks = this.o.filler.fill(batch, this.staged);
    await this.tx.begin();
    for (const chunk of chunks) this.o.staging.appendDataChunk(chunk);
    this.staged += batch.values.length;
  }

  /** A key conflict aborted the transaction: undo it and stage this interval's kept batches instead. */
  private async fallBack(): Promise<void> {
    this.o.fallbacks.inc();
    this.o.target.clear();
    await this.tx.rollback();
    const kept = this.kept;
    this.kept = [];
    this.keptRows = 0;
    this.direct = false;
    this.fellBack = true;
    this.staged = 0;
    for (const batch of kept) await this.stage(batch);
    this.skip = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
  }
}

/**
 * DuckDB reports a primary-key violation only in its message (the node API
 * gives no error code): "Duplicate key ... violates primary key constraint"
 * or "PRIMARY KEY or UNIQUE constraint violation: duplicate key ...".
 */
export function isKeyConflict(err: unknown): boolean {
  return err instanceof Error && /duplicate key|constraint violation/i.test(err.message);
}
