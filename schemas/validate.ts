/**
 * Value validation against an Avro type, with readable field paths:
 * `price: expected long, got "abc"`, `items[2].sku: expected string, got 7`,
 * `attrs["colour"]: expected int, got null`.
 */
import {
  describeType,
  kindOf,
  type AvroArrayType,
  type AvroLogicalType,
  type AvroMapType,
  type AvroRecordType,
  type AvroType,
  type AvroUnionType,
} from './avro.ts';

/** At most this many messages are returned (plus a final "... and N more"). */
export const MAX_VALIDATION_MESSAGES = 50;

/** [] when `value` is valid for `type`, else one message per invalid spot. */
export function validateValue(type: AvroType, value: unknown): string[] {
  if (type.isValid(value)) return [];
  const messages: string[] = [];
  let dropped = 0;
  type.isValid(value, {
    errorHook: (path: string[], bad: unknown, badType: AvroType) => {
      if (messages.length >= MAX_VALIDATION_MESSAGES) {
        dropped++;
        return;
      }
      const where = formatPath(type, value, path);
      const got = bad === undefined ? 'undefined (missing field)' : preview(bad);
      messages.push(`${where}: expected ${describeType(badType)}, got ${got}`);
    },
  });
  if (dropped > 0) messages.push(`... and ${dropped} more`);
  // isValid said no but the hook saw nothing: should not happen, but never report "valid".
  if (messages.length === 0) messages.push(`(root): not a valid ${describeType(type)}`);
  return messages;
}

/** Turn avsc's path segments into `a.b[3]["key"].c`, using the type (and the value, to pick union branches). */
export function formatPath(root: AvroType, rootValue: unknown, path: readonly string[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  let type: AvroType | undefined = root;
  let value: unknown = rootValue;
  for (const seg of path) {
    type = type === undefined ? undefined : containerFor(type, value);
    const kind: string | undefined = type === undefined ? undefined : kindOf(type);
    if (kind === 'array') {
      out += `[${seg}]`;
      type = (type as AvroArrayType).itemsType;
    } else if (kind === 'map') {
      out += `[${JSON.stringify(seg)}]`;
      type = (type as AvroMapType).valuesType as AvroType;
    } else {
      out += out === '' ? seg : `.${seg}`;
      type = kind === 'record' ? (type as AvroRecordType).fields.find((f) => f.name === seg)?.type : undefined;
    }
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

/** Unwrap logical types and pick the union branch the value goes into. */
function containerFor(type: AvroType, value: unknown): AvroType | undefined {
  let t: AvroType = type;
  for (;;) {
    const kind = kindOf(t);
    if (kind === 'logical') {
      t = (t as AvroLogicalType).underlyingType;
    } else if (kind === 'union') {
      const want = Array.isArray(value) ? ['array'] : ['record', 'map'];
      const branch = (t as AvroUnionType).types.find((b) => want.includes(kindOf(unwrapLogical(b))));
      if (branch === undefined) return undefined;
      t = branch;
    } else {
      return t;
    }
  }
}

function unwrapLogical(t: AvroType): AvroType {
  return kindOf(t) === 'logical' ? unwrapLogical((t as AvroLogicalType).underlyingType) : t;
}

const PREVIEW_MAX = 60;

/** Short rendering of a bad value for messages. */
export function preview(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return truncate(JSON.stringify(v));
    case 'number':
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? `${v} (not a safe integer)` : String(v);
    case 'bigint':
      return `${v}n (bigint)`;
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'function':
      return 'a function';
    case 'symbol':
      return v.toString();
    default:
      break;
  }
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `<Buffer ${v.length} bytes>`;
  if (v instanceof Uint8Array) return `<Uint8Array ${v.length} bytes>`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  try {
    return truncate(JSON.stringify(v) ?? 'an object');
  } catch (err) {
    return `an object (${err instanceof Error ? err.message : 'not serialisable'})`;
  }
}

function truncate(s: string): string {
  return s.length > PREVIEW_MAX ? `${s.slice(0, PREVIEW_MAX - 1)}…` : s;
}
