import { createHash } from 'node:crypto';
import { ARRAY, arrayValue, BOOLEAN, DOUBLE, FLOAT, INTEGER, LIST, listValue, TIMESTAMP, timestampValue, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';
import { countTokens } from '../../models/builtin/keywords.ts';
import { acquireInstance, type InstanceLease } from '../../sinks/duckdb/instances.ts';
import type { MaasParams } from './types.ts';

export interface MessageRecord {
  readonly messageId: string;
  readonly threadId: string;
  readonly userId: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly runId: string | null;
}

export interface MemoryRecord {
  readonly memoryId: string;
  readonly userId: string;
  readonly threadId: string;
  readonly sourceMessageId: string;
  readonly text: string;
  readonly embedding: Float32Array;
  readonly keywords: readonly string[];
  /** `eval.plants` of the source message: evaluation only, never read to answer. */
  readonly factKeys: readonly string[];
  readonly importance: number;
  /** Epoch ms. */
  readonly createdAt: number;
}

export interface RetrievedMemory {
  readonly memoryId: string;
  readonly threadId: string;
  readonly sourceMessageId: string;
  readonly text: string;
  readonly keywords: readonly string[];
  readonly factKeys: readonly string[];
  readonly importance: number;
  readonly createdAt: number;
  /** Cosine similarity of the embeddings (0 when either vector is zero). */
  readonly similarity: number;
  /** Fraction of the query keywords among the memory's keywords. */
  readonly keywordOverlap: number;
  readonly relevance: number;
  readonly recency: number;
  readonly score: number;
  /** countTokens(text): what this memory costs of the token budget. */
  readonly tokens: number;
}

export type SearchParams = Pick<MaasParams, 'top_k' | 'relevance_weight' | 'recency_weight' | 'token_budget'>;

export interface SearchQuery {
  readonly userId: string;
  readonly queryEmbedding: Float32Array;
  readonly keywords: readonly string[];
  /** Epoch ms that ages are measured from. */
  readonly now: number;
  readonly params: SearchParams;
}

export interface SearchResult {
  /** Candidates: the user's memories with similarity ≥ minSimilarity or any keyword overlap. */
  readonly found: number;
  /** Best first, cut to top_k and then to the token budget. */
  readonly ranked: RetrievedMemory[];
}

export interface MemoryStoreOptions {
  /** DuckDB file (created if missing); shared with duckdb sinks of this process on the same file. */
  readonly path: string;
  /** Embedding length: the `memories.embedding` column is FLOAT[dim]. */
  readonly dim: number;
  /** Age at which recency halves (default 1 day). */
  readonly recencyHalfLifeMs?: number;
  /** Similarity at or above which a memory is a candidate without keyword overlap (default 0.1: below is hashing noise). */
  readonly minSimilarity?: number;
}

export const DEFAULT_RECENCY_HALF_LIFE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_SIMILARITY = 0.1;

/** Deterministic memory id: replaying a message yields the same ids, so nothing is stored twice. */
export function memoryIdFor(sourceMessageId: string, index: number): string {
  return createHash('sha256').update(`${sourceMessageId}\u0000${index}`).digest('hex').slice(0, 32);
}

const micros = (ms: number): DuckDBValue => timestampValue(BigInt(Math.round(ms)) * 1000n);
const strings = (xs: readonly string[]): DuckDBValue => listValue([...xs]);

/**
 * The MaaS memory store in DuckDB: users, threads, messages and memories.
 *
 * Calls are serialised on one connection (DuckDB runs one statement per
 * connection at a time, and a multi-row write must not interleave with
 * another call's transaction). Writes are idempotent by primary key (INSERT
 * OR IGNORE), so a replayed run stores nothing twice.
 *
 * Ranking (searchMemories), for the user's candidate memories:
 *   similarity = array_cosine_similarity(memory, query)  (0 if a vector is zero)
 *   overlap    = |memory keywords ∩ query keywords| / |query keywords|  (0 without query keywords)
 *   relevance  = (max(similarity, 0) + overlap) / 2, or max(similarity, 0) without query keywords
 *   recency    = 0.5 ^ (max(now − created_at, 0) / halfLife)  = exp(−ln2 · age / halfLife)
 *   score      = relevance_weight · relevance + recency_weight · recency
 * ordered by score desc, then memory_id; cut to top_k, then the longest prefix
 * whose countTokens(text) sum fits token_budget.
 */
export class MemoryStore {
  readonly path: string;
  readonly dim: number;
  readonly recencyHalfLifeMs: number;
  readonly minSimilarity: number;
  private lease: InstanceLease | undefined;
  private conn: DuckDBConnection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly memoryTypes: DuckDBType[];

  constructor(opts: MemoryStoreOptions) {
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new MaasflowError('CONFIG', `memory store ${opts.path}: dim must be a positive integer, got ${opts.dim}`);
    this.path = opts.path;
    this.dim = opts.dim;
    this.recencyHalfLifeMs = opts.recencyHalfLifeMs ?? DEFAULT_RECENCY_HALF_LIFE_MS;
    this.minSimilarity = opts.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
    this.memoryTypes = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, ARRAY(FLOAT, this.dim), LIST(VARCHAR), LIST(VARCHAR), DOUBLE, TIMESTAMP];
    if (!(this.recencyHalfLifeMs > 0)) throw new MaasflowError('CONFIG', `memory store ${opts.path}: recencyHalfLifeMs must be > 0, got ${this.recencyHalfLifeMs}`);
  }

  /** Opens (or creates) the file and the tables; refuses a memories table of another embedding length. */
  async open(): Promise<void> {
    return this.serial(async () => {
      if (this.conn) return;
      const lease = await acquireInstance(this.path, 'maas-memory-store');
      try {
        const conn = await lease.instance.connect();
        this.lease = lease;
        this.conn = conn;
        await conn.run(`
          CREATE TABLE IF NOT EXISTS users (user_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL);
          CREATE TABLE IF NOT EXISTS threads (thread_id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
          CREATE TABLE IF NOT EXISTS messages (message_id VARCHAR PRIMARY KEY, thread_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL,
            role VARCHAR NOT NULL CHECK (role IN ('user', 'assistant')), text VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, run_id VARCHAR);
          CREATE TABLE IF NOT EXISTS memories (memory_id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, thread_id VARCHAR NOT NULL,
            source_message_id VARCHAR NOT NULL, text VARCHAR NOT NULL, embedding FLOAT[${this.dim}] NOT NULL, keywords VARCHAR[] NOT NULL,
            fact_keys VARCHAR[] NOT NULL, importance DOUBLE NOT NULL, created_at TIMESTAMP NOT NULL);`);
        const found = await conn.runAndReadAll(
          "SELECT data_type FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = 'memories' AND column_name = 'embedding'",
        );
        const type = String(found.getRowsJS()[0]?.[0]);
        if (type !== `FLOAT[${this.dim}]`) {
          throw new MaasflowError('CONFIG', `memory store ${this.path}: table memories holds embeddings of type ${type}, but the embedder gives FLOAT[${this.dim}]; use another file or the embedder the memories were written with`);
        }
      } catch (err) {
        this.closeNow();
        lease.release();
        throw err;
      }
    });
  }

  /** Registers the user and the thread (idempotent); a thread id already owned by another user is refused. */
  async ensureUserThread(userId: string, threadId: string, now: number): Promise<void> {
    return this.serial(async () => {
      const c = this.requireConn();
      await c.run('INSERT OR IGNORE INTO users VALUES ($1, $2)', [userId, micros(now)]);
      await c.run('INSERT OR IGNORE INTO threads VALUES ($1, $2, $3)', [threadId, userId, micros(now)]);
      const owner = (await c.runAndReadAll('SELECT user_id FROM threads WHERE thread_id = $1', [threadId])).getRowsJS()[0]?.[0];
      if (owner !== userId) throw new MaasflowError('RECORD_VALIDATE', `thread ${threadId} belongs to user ${String(owner)}, not to ${userId}`);
    });
  }

  /** Stores a message; returns false when its message_id was already stored (the stored one is kept). */
  async addMessage(m: MessageRecord): Promise<boolean> {
    return this.serial(async () => {
      const c = this.requireConn();
      const r = await c.run('INSERT OR IGNORE INTO messages VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        m.messageId, m.threadId, m.userId, m.role, m.text, micros(m.createdAt), m.runId,
      ]);
      return r.rowsChanged > 0;
    });
  }

  /** The last `n` messages of a thread, oldest first. */
  async recentMessages(threadId: string, n: number): Promise<MessageRecord[]> {
    return this.serial(async () => {
      const c = this.requireConn();
      const r = await c.runAndReadAll(
        `SELECT * FROM (SELECT message_id, thread_id, user_id, role, text, epoch_ms(created_at) AS ms, run_id FROM messages
           WHERE thread_id = $1 ORDER BY created_at DESC, message_id DESC LIMIT $2) ORDER BY ms, message_id`,
        [threadId, Math.max(0, Math.floor(n))],
      );
      return r.getRowsJS().map(([messageId, thread, userId, role, text, ms, runId]) => ({
        messageId: String(messageId), threadId: String(thread), userId: String(userId),
        role: role === 'assistant' ? 'assistant' : 'user', text: String(text), createdAt: Number(ms), runId: runId == null ? null : String(runId),
      }));
    });
  }

  /** Stores memories in one transaction; ids already stored are skipped. Returns how many were new. */
  async addMemories(memories: readonly MemoryRecord[]): Promise<number> {
    for (const m of memories) {
      if (m.embedding.length !== this.dim) throw new MaasflowError('RECORD_VALIDATE', `memory ${m.memoryId}: embedding has ${m.embedding.length} values, the store holds FLOAT[${this.dim}]`);
    }
    if (memories.length === 0) return 0;
    return this.serial(async () => {
      const c = this.requireConn();
      await c.run('BEGIN TRANSACTION');
      try {
        let added = 0;
        for (const m of memories) {
          const r = await c.run(`INSERT OR IGNORE INTO memories VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
            m.memoryId, m.userId, m.threadId, m.sourceMessageId, m.text, arrayValue([...m.embedding]), strings(m.keywords), strings(m.factKeys), m.importance, micros(m.createdAt),
          ], this.memoryTypes);
          added += r.rowsChanged;
        }
        await c.run('COMMIT');
        return added;
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    });
  }

  /** All memories of a user, oldest first (inspection and tests). */
  async listMemories(userId: string): Promise<MemoryRecord[]> {
    return this.serial(async () => {
      const c = this.requireConn();
      const r = await c.runAndReadAll(
        `SELECT memory_id, user_id, thread_id, source_message_id, text, embedding, keywords, fact_keys, importance, epoch_ms(created_at)
           FROM memories WHERE user_id = $1 ORDER BY created_at, memory_id`,
        [userId],
      );
      return r.getRowsJS().map(([memoryId, user, threadId, sourceMessageId, text, embedding, keywords, factKeys, importance, ms]) => ({
        memoryId: String(memoryId), userId: String(user), threadId: String(threadId), sourceMessageId: String(sourceMessageId), text: String(text),
        embedding: Float32Array.from(embedding as number[]), keywords: (keywords as string[]).map(String), factKeys: (factKeys as string[]).map(String),
        importance: Number(importance), createdAt: Number(ms),
      }));
    });
  }

  /** Ranks the user's memories (all threads) for a query; see the class comment for the formula. */
  async searchMemories(q: SearchQuery): Promise<SearchResult> {
    if (q.queryEmbedding.length !== this.dim) throw new MaasflowError('RECORD_VALIDATE', `query embedding has ${q.queryEmbedding.length} values, the store holds FLOAT[${this.dim}]`);
    const { top_k: topK, relevance_weight: rw, recency_weight: cw, token_budget: budget } = q.params;
    if (!Number.isInteger(topK) || topK < 1) throw new MaasflowError('CONFIG', `searchMemories: top_k must be a positive integer, got ${topK}`);
    const keywords = [...new Set(q.keywords)];
    const queryNonZero = q.queryEmbedding.some((x) => x !== 0);
    const rows = await this.serial(async () => {
      const c = this.requireConn();
      const r = await c.runAndReadAll(
        `WITH c AS (
           SELECT memory_id, thread_id, source_message_id, text, keywords, fact_keys, importance, epoch_ms(created_at) AS created_ms,
             CASE WHEN $qnz AND array_inner_product(embedding, embedding) > 0
                  THEN array_cosine_similarity(embedding, $q::FLOAT[${this.dim}])::DOUBLE ELSE 0.0 END AS similarity,
             CASE WHEN $nkw = 0 THEN 0.0 ELSE len(list_intersect(list_distinct(keywords), $kw::VARCHAR[])) / $nkw END AS keyword_overlap
           FROM memories WHERE user_id = $user
         ), s AS (
           SELECT *,
             CASE WHEN $nkw = 0 THEN greatest(similarity, 0.0) ELSE (greatest(similarity, 0.0) + keyword_overlap) / 2 END AS relevance,
             pow(0.5, greatest($now - created_ms, 0) / $half) AS recency
           FROM c WHERE similarity >= $minsim OR keyword_overlap > 0
         )
         SELECT memory_id, thread_id, source_message_id, text, keywords, fact_keys, importance, created_ms,
           similarity, keyword_overlap, relevance, recency, $rw * relevance + $cw * recency AS score, count(*) OVER () AS found
         FROM s ORDER BY score DESC, memory_id LIMIT ${topK}`,
        {
          qnz: queryNonZero, q: arrayValue([...q.queryEmbedding]), nkw: keywords.length, kw: strings(keywords), user: q.userId,
          now: q.now, half: this.recencyHalfLifeMs, minsim: this.minSimilarity, rw, cw,
        },
        // explicit types: a float array or weight that happens to hold integers must not bind as INTEGER
        { qnz: BOOLEAN, q: ARRAY(FLOAT, this.dim), nkw: INTEGER, kw: LIST(VARCHAR), user: VARCHAR, now: DOUBLE, half: DOUBLE, minsim: DOUBLE, rw: DOUBLE, cw: DOUBLE },
      );
      return r.getRowsJS();
    });
    const found = rows.length === 0 ? 0 : Number(rows[0]![13]);
    const ranked: RetrievedMemory[] = [];
    let used = 0;
    for (const [memoryId, threadId, sourceMessageId, text, keywordList, factKeys, importance, ms, similarity, overlap, relevance, recency, score] of rows) {
      const tokens = countTokens(String(text));
      if (used + tokens > budget) break; // a prefix: a lower-ranked memory never displaces a better one
      used += tokens;
      ranked.push({
        memoryId: String(memoryId), threadId: String(threadId), sourceMessageId: String(sourceMessageId), text: String(text),
        keywords: (keywordList as string[]).map(String), factKeys: (factKeys as string[]).map(String), importance: Number(importance), createdAt: Number(ms),
        similarity: Number(similarity), keywordOverlap: Number(overlap), relevance: Number(relevance), recency: Number(recency), score: Number(score), tokens,
      });
    }
    return { found, ranked };
  }

  /** Waits for queued calls, then closes the connection and releases the file (the instance closes with its last user). */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined); // a failed call was reported to its own caller
    const lease = this.lease;
    this.closeNow();
    lease?.release();
  }

  private closeNow(): void {
    this.conn?.closeSync();
    this.conn = undefined;
    this.lease = undefined;
  }

  /** Runs `fn` after every earlier call has finished (one statement stream per connection). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined); // the queue goes on; the failure goes to this call's caller
    return run;
  }

  private requireConn(): DuckDBConnection {
    if (!this.conn) throw new MaasflowError('RUNTIME', `memory store ${this.path} is not open (call open() first, and not after close())`);
    return this.conn;
  }
}
