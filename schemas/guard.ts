/**
 * A bounds-checked structural pass over an Avro body, for writer schemas that
 * contain arrays or maps.
 *
 * avsc trusts block counts: garbage that decodes to "array of 900 million
 * items" makes it loop (and allocate) 900 million times before noticing that
 * the buffer ran out. This pass walks the same bytes without building values
 * and rejects a block whose count cannot fit in the remaining bytes, so the
 * decoder can never hang on bad input. Schemas without arrays and maps do not
 * need it (every read is bounded by the schema) and skip it.
 */
import {
  kindOf,
  type AvroArrayType,
  type AvroEnumType,
  type AvroFixedType,
  type AvroLogicalType,
  type AvroMapType,
  type AvroRecordType,
  type AvroType,
  type AvroUnionType,
} from './avro.ts';

/** Returns the position after the value, or -1 when the bytes cannot be a value of the type. */
export type Guard = (buf: Uint8Array, pos: number) => number;

/** Most items of a zero-byte type (null, empty record) one record may hold. */
export const MAX_ZERO_SIZE_ITEMS = 1_000_000;

let failure = '';
/** Why the last guard call returned -1. */
export function guardFailure(): string {
  return failure;
}

let varValue = 0;
/** Read a zig-zag varint at pos into `varValue`; returns the next position or -1. */
function readVarint(buf: Uint8Array, pos: number): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) {
      failure = 'truncated (ran out of bytes in a varint)';
      return -1;
    }
    const b = buf[pos++] ?? 0;
    n += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      varValue = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      return pos;
    }
    scale *= 128;
  }
  failure = 'varint longer than 10 bytes';
  return -1;
}

/** True when the type (transitively) contains an array or a map. */
export function needsGuard(type: AvroType, seen: Set<AvroType> = new Set()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  switch (kindOf(type)) {
    case 'array':
    case 'map':
      return true;
    case 'record':
      return (type as AvroRecordType).fields.some((f) => needsGuard(f.type, seen));
    case 'union':
      return (type as AvroUnionType).types.some((t) => needsGuard(t, seen));
    case 'logical':
      return needsGuard((type as AvroLogicalType).underlyingType, seen);
    default:
      return false;
  }
}

/** Fewest bytes any value of the type encodes to. */
export function minEncodedSize(type: AvroType, inProgress: Set<AvroType> = new Set()): number {
  switch (kindOf(type)) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (type as AvroFixedType).size;
    case 'logical':
      return minEncodedSize((type as AvroLogicalType).underlyingType, inProgress);
    case 'record': {
      if (inProgress.has(type)) return 0;
      inProgress.add(type);
      let sum = 0;
      for (const f of (type as AvroRecordType).fields) sum += minEncodedSize(f.type, inProgress);
      inProgress.delete(type);
      return sum;
    }
    default:
      // boolean, int, long, bytes, string, enum, array, map, union: at least one byte
      return 1;
  }
}

/** Compile a guard for a writer type. */
export function compileGuard(type: AvroType): Guard {
  const cache = new Map<AvroType, Guard>();
  const build = (t: AvroType): Guard => {
    const cached = cache.get(t);
    if (cached) return cached;
    // Indirection so recursive types can refer to themselves while being built.
    let impl: Guard = () => -1;
    const ref: Guard = (buf, pos) => impl(buf, pos);
    cache.set(t, ref);
    impl = buildOne(t, build);
    return ref;
  };
  return build(type);
}

function fixedWidth(width: number, what: string): Guard {
  return (buf, pos) => {
    if (pos + width > buf.length) {
      failure = `truncated (${what} needs ${width} bytes)`;
      return -1;
    }
    return pos + width;
  };
}

const skipVarint: Guard = (buf, pos) => readVarint(buf, pos);

const skipLengthPrefixed: Guard = (buf, pos) => {
  const p = readVarint(buf, pos);
  if (p < 0) return -1;
  if (varValue < 0) {
    failure = `negative length ${varValue}`;
    return -1;
  }
  if (p + varValue > buf.length) {
    failure = `truncated (length ${varValue} runs past the end)`;
    return -1;
  }
  return p + varValue;
};

function buildOne(t: AvroType, build: (t: AvroType) => Guard): Guard {
  switch (kindOf(t)) {
    case 'null':
      return (_buf, pos) => pos;
    case 'boolean':
      return fixedWidth(1, 'boolean');
    case 'int':
    case 'long':
      return skipVarint;
    case 'float':
      return fixedWidth(4, 'float');
    case 'double':
      return fixedWidth(8, 'double');
    case 'bytes':
    case 'string':
      return skipLengthPrefixed;
    case 'fixed':
      return fixedWidth((t as AvroFixedType).size, `fixed ${t.name ?? ''}`);
    case 'logical':
      return build((t as AvroLogicalType).underlyingType);
    case 'enum': {
      const count = (t as AvroEnumType).symbols.length;
      return (buf, pos) => {
        const p = readVarint(buf, pos);
        if (p < 0) return -1;
        if (varValue < 0 || varValue >= count) {
          failure = `invalid ${t.name ?? 'enum'} enum index ${varValue}`;
          return -1;
        }
        return p;
      };
    }
    case 'union': {
      const branches = (t as AvroUnionType).types.map(build);
      return (buf, pos) => {
        const p = readVarint(buf, pos);
        if (p < 0) return -1;
        const branch = branches[varValue];
        if (branch === undefined) {
          failure = `invalid union index ${varValue}`;
          return -1;
        }
        return branch(buf, p);
      };
    }
    case 'record': {
      const fields = (t as AvroRecordType).fields.map((f) => build(f.type));
      return (buf, pos) => {
        let p = pos;
        for (let i = 0; i < fields.length && p >= 0; i++) p = (fields[i] as Guard)(buf, p);
        return p;
      };
    }
    case 'array': {
      const item = (t as AvroArrayType).itemsType;
      return blocks(build(item), minEncodedSize(item));
    }
    case 'map': {
      const value = build((t as AvroMapType).valuesType as AvroType);
      const entry: Guard = (buf, pos) => {
        const p = skipLengthPrefixed(buf, pos);
        return p < 0 ? -1 : value(buf, p);
      };
      return blocks(entry, 1 + minEncodedSize((t as AvroMapType).valuesType as AvroType));
    }
    default:
      return () => {
        failure = `unsupported type ${t.typeName}`;
        return -1;
      };
  }
}

/** Array/map blocks: count, [byte size when count < 0], items...; a 0 count ends the value. */
function blocks(item: Guard, minItemSize: number): Guard {
  return (buf, pos) => {
    let p = pos;
    let zeroSizeItems = 0;
    for (;;) {
      p = readVarint(buf, p);
      if (p < 0) return -1;
      let n = varValue;
      if (n === 0) return p;
      if (n < 0) {
        n = -n;
        p = readVarint(buf, p);
        if (p < 0) return -1;
        if (varValue < 0) {
          failure = `negative block size ${varValue}`;
          return -1;
        }
      }
      if (minItemSize > 0) {
        if (n * minItemSize > buf.length - p) {
          failure = `block of ${n} items cannot fit in the ${buf.length - p} remaining bytes`;
          return -1;
        }
      } else {
        zeroSizeItems += n;
        if (zeroSizeItems > MAX_ZERO_SIZE_ITEMS) {
          failure = `more than ${MAX_ZERO_SIZE_ITEMS} zero-size items`;
          return -1;
        }
      }
      for (let i = 0; i < n; i++) {
        p = item(buf, p);
        if (p < 0) return -1;
      }
    }
  };
}
