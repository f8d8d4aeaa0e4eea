import { BIGINT, DuckDBDataChunk, DuckDBVector, type DuckDBType } from '@duckdb/node-api';
import type { Batch } from '../../engine/batch.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { BadValue, columnType, describeValue, type ColumnType } from './types.ts';

/** Staging-only column that orders the rows written between two commits (upsert: the last one of a key wins). */
export const SEQ = 'maasflow_seq';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly isKey: boolean;
  /** The raw value for record i of a batch; throws BadValue when the path cannot be read. */
  readonly read: (batch: Batch, i: number) => unknown;
}

export interface ColumnsParams {
  columns: Record<string, string>;
  mode?: 'append' | 'upsert';
  key?: string[];
  fields?: Record<string, string>;
}

/** The declared columns in table order, each with its type and where its value comes from; CONFIG errors name the sink. */
export function declaredColumns(p: ColumnsParams, where: string): Column[] {
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
  if (segments.length === 1) {
    // the common case (a top-level field): no loop
    return (b, i) => {
      const cur = b.values[i];
      if (cur === null || typeof cur !== 'object') throw new BadValue(`reads field ${source} of the record value, which is not an object`);
      return (cur as Record<string, unknown>)[source];
    };
  }
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

/**
 * Turns batches into DuckDB data chunks (of DuckDB's vector size), checking
 * every value on the way: values go straight into the chunk vectors, with no
 * intermediate column arrays. Nothing is appended here, so a RECORD_VALIDATE
 * error anywhere in a batch leaves all of it unwritten.
 */
export class ChunkFiller {
  private readonly types: DuckDBType[];
  private readonly seqTypes: DuckDBType[];

  constructor(
    private readonly columns: readonly Column[],
    /** For errors: `duckdb sink "ID": table T`. */
    private readonly where: string,
  ) {
    this.types = columns.map((c) => c.type.vector);
    this.seqTypes = [...this.types, BIGINT];
  }

  /** With `seqBase`, each chunk gets a last BIGINT column numbering its rows from seqBase (the staging table's order). */
  fill(batch: Batch, seqBase: number | null = null): DuckDBDataChunk[] {
    const n = batch.values.length;
    const size = DuckDBVector.standardSize();
    const columns = this.columns;
    const chunks: DuckDBDataChunk[] = [];
    for (let lo = 0; lo < n; lo += size) {
      const m = Math.min(size, n - lo);
      const chunk = DuckDBDataChunk.create(seqBase === null ? this.types : this.seqTypes, m);
      for (let j = 0; j < columns.length; j++) {
        const c = columns[j]!;
        const vector = chunk.getColumnVector(j);
        for (let k = 0; k < m; k++) {
          const i = lo + k;
          let raw: unknown = batch.values[i]; // shown when the value cannot be read at all
          try {
            raw = c.read(batch, i);
            if (raw === null || raw === undefined) {
              if (c.isKey) throw new BadValue('is part of the primary key and cannot be null');
              vector.setItem(k, null);
            } else vector.setItem(k, c.type.encode(raw));
          } catch (err) {
            if (!(err instanceof BadValue)) throw err;
            const key = batch.keys?.[i];
            throw new MaasflowError('RECORD_VALIDATE', `${this.where}, column ${c.name} (${c.type.sql}) ${err.message}, got ${describeValue(raw)} (record ${i} of the batch${key == null ? '' : `, key ${JSON.stringify(key)}`})`);
          }
        }
        vector.flush();
      }
      if (seqBase !== null) {
        const vector = chunk.getColumnVector(columns.length);
        for (let k = 0; k < m; k++) vector.setItem(k, BigInt(seqBase + lo + k));
        vector.flush();
      }
      chunks.push(chunk);
    }
    return chunks;
  }
}
