import { ARRAY, BIGINT, BOOLEAN, DOUBLE, DuckDBArrayValue, DuckDBTimestampValue, FLOAT, INTEGER, LIST, TIMESTAMP, VARCHAR, listValue, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

/** The column types a `duckdb` sink can write (upper case, as DuckDB itself prints them). */
export const COLUMN_TYPE_PATTERN = '^(BOOLEAN|INTEGER|BIGINT|FLOAT|DOUBLE|VARCHAR|TIMESTAMP|JSON|VARCHAR\\[\\]|(FLOAT|DOUBLE)\\[[1-9][0-9]{0,5}\\])$';

/** Thrown by an encoder for a value the column cannot hold; the sink adds where (sink, table, column, record). */
export class BadValue extends Error {}

export interface ColumnType {
  /** The type as DuckDB spells it in DDL and in information_schema (`FLOAT[3]`, `VARCHAR[]`, `JSON`). */
  readonly sql: string;
  /** Type of the data-chunk vector the sink fills (JSON travels as VARCHAR). */
  readonly vector: DuckDBType;
  /** Converts a non-null JS value to what the vector holds; throws BadValue for anything else. */
  readonly encode: (v: unknown) => DuckDBValue;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** The range of a JS Date (±100,000,000 days around 1970), in epoch ms. */
const MAX_EPOCH_MS = 8.64e15;

/** Parses a column type accepted by COLUMN_TYPE_PATTERN. */
export function columnType(sql: string): ColumnType {
  const fixed = /^(FLOAT|DOUBLE)\[(\d+)\]$/.exec(sql);
  if (fixed) {
    const single = fixed[1] === 'FLOAT';
    const length = Number(fixed[2]);
    return { sql, vector: ARRAY(single ? FLOAT : DOUBLE, length), encode: (v) => fixedArray(v, length, single) };
  }
  switch (sql) {
    case 'BOOLEAN':
      return { sql, vector: BOOLEAN, encode: (v) => (typeof v === 'boolean' ? v : bad('a boolean')) };
    case 'INTEGER':
      return { sql, vector: INTEGER, encode: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : bad('an integer in the 32-bit range')) };
    case 'BIGINT':
      return { sql, vector: BIGINT, encode: bigint };
    case 'FLOAT':
      return { sql, vector: FLOAT, encode: (v) => (typeof v === 'number' && fitsFloat(v) ? v : bad('a number in the FLOAT range')) };
    case 'DOUBLE':
      return { sql, vector: DOUBLE, encode: (v) => (typeof v === 'number' ? v : bad('a number')) };
    case 'VARCHAR':
      return { sql, vector: VARCHAR, encode: (v) => (typeof v === 'string' ? v : bad('a string')) };
    case 'TIMESTAMP':
      return { sql, vector: TIMESTAMP, encode: (v) => new DuckDBTimestampValue(timestampMicros(v)) };
    case 'JSON':
      return { sql, vector: VARCHAR, encode: json };
    case 'VARCHAR[]':
      return { sql, vector: LIST(VARCHAR), encode: stringList };
    default:
      throw new Error(`unsupported column type ${sql}`);
  }
}

function bad(expected: string): never {
  throw new BadValue(`expects ${expected}`);
}

function fitsFloat(v: number): boolean {
  return !Number.isFinite(v) || Number.isFinite(Math.fround(v));
}

function bigint(v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) return v;
  return bad('a safe integer or a bigint in the 64-bit range');
}

function json(v: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    throw new BadValue(`expects a JSON-serialisable value (${(err as Error).message})`);
  }
  return text ?? bad('a JSON-serialisable value');
}

function stringList(v: unknown): DuckDBValue {
  if (!Array.isArray(v)) bad('an array of strings');
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== 'string' && s !== null) throw new BadValue(`expects an array of strings; element ${i} is ${describeValue(s)}`);
  }
  return listValue(v as string[]);
}

/** A fixed-size numeric array from a number array or a typed array (Float32Array, Float64Array, ...) of exactly `length` numbers. */
function fixedArray(v: unknown, length: number, single: boolean): DuckDBValue {
  const typed = ArrayBuffer.isView(v) && !(v instanceof DataView);
  if (!Array.isArray(v) && !typed) bad(`an array of ${length} numbers`);
  const items = v as ArrayLike<unknown>;
  if (items.length !== length) throw new BadValue(`expects an array of ${length} numbers; got ${items.length} elements`);
  for (let i = 0; i < length; i++) {
    const x = items[i];
    if (typeof x !== 'number' || (single && !fitsFloat(x))) throw new BadValue(`expects an array of ${length} numbers${single ? ' in the FLOAT range' : ''}; element ${i} is ${describeValue(x)}`);
  }
  // The vector only indexes `items`, so a typed array is passed as it is, without a copy.
  return new DuckDBArrayValue(items as readonly DuckDBValue[]);
}

/** Epoch microseconds from epoch milliseconds (number), a Date, or an ISO-8601 string (UTC unless it has an offset). */
export function timestampMicros(v: unknown): bigint {
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_EPOCH_MS) return BigInt(Math.round(v * 1000));
  if (v instanceof Date && !Number.isNaN(v.getTime())) return BigInt(v.getTime()) * 1000n;
  if (typeof v === 'string') {
    const micros = isoMicros(v);
    if (micros !== undefined) return micros;
  }
  return bad('epoch milliseconds (a number), a Date or an ISO-8601 string such as 2024-05-01T12:00:00.250Z');
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

function isoMicros(s: string): bigint | undefined {
  const m = ISO.exec(s.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, sec, 0);
  // Date rolls over (Feb 30 -> Mar 2, 25:00 -> next day): refuse instead
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== sec) return undefined;
  let ms = date.getTime();
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    if (minutes >= 24 * 60) return undefined;
    ms -= (zone[0] === '-' ? -1 : 1) * minutes * 60_000;
  }
  // digits below the microsecond are dropped
  const micros = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  return BigInt(ms) * 1000n + BigInt(micros);
}

/** A short description of a value for error messages: its type and (truncated) JSON text. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`;
  const kind = Array.isArray(v) ? `array(${v.length})` : ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})` : typeof v;
  let text: string;
  try {
    text = ArrayBuffer.isView(v) && !(v instanceof DataView) ? JSON.stringify(Array.from(v as unknown as ArrayLike<unknown>)) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return `${kind} ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}
