/**
 * Encoders and decoders over the Confluent wire format.
 *
 * A decoder is built once per reader schema and called once per record, so all
 * per-writer work (finding the writer schema, building the writer -> reader
 * resolver, deciding whether the bounds guard is needed) happens the first
 * time a writer id is seen and is cached in a plan. The per-record path is:
 * header check, one Map lookup (skipped when the id repeats), avsc decode on
 * the original buffer (no copy), and an end-offset check.
 */
import { MaasflowError } from '../engine/errors.ts';
import type { AvroResolver } from './avro.ts';
import { compileGuard, guardFailure, needsGuard, type Guard } from './guard.ts';
import { label, type Decoder, type DecodeResult, type RegisteredSchema } from './types.ts';
import { validateValue } from './validate.ts';
import { HEADER_SIZE, MAGIC_BYTE, asBuffer, headerProblem, readSchemaId, writeHeader } from './wire-format.ts';

/** How to read data written with one writer schema as one reader schema. */
export interface ReadPlan {
  readonly writer: RegisteredSchema;
  /** undefined when writer and reader are the same registered schema. */
  readonly resolver: AvroResolver | undefined;
  /** Bounds check to run first (writer schemas with arrays/maps only). */
  readonly guard: Guard | undefined;
  /** Set when the writer schema cannot be read as the reader schema. */
  readonly error: string | undefined;
  /** `nexmark.Bid@1 (id 3)`, for messages. */
  readonly writerLabel: string;
}

/** Build the plan for reading `writer` data as `reader`. Never throws. */
export function makeReadPlan(writer: RegisteredSchema, reader: RegisteredSchema): ReadPlan {
  const writerLabel = `${label(writer)} (id ${writer.id})`;
  const guard = needsGuard(writer.type) ? compileGuard(writer.type) : undefined;
  if (writer === reader) return { writer, resolver: undefined, guard, error: undefined, writerLabel };
  try {
    const resolver = reader.type.createResolver(writer.type);
    return { writer, resolver, guard, error: undefined, writerLabel };
  } catch (err) {
    const error = `writer schema ${label(writer)} (id ${writer.id}) cannot be read as ${label(reader)} (id ${reader.id}): ${errorText(err)}`;
    return { writer, resolver: undefined, guard, error, writerLabel };
  }
}

/**
 * A decoder for one reader schema. `plans` caches one plan per writer id (it
 * may be shared by several decoders of the same reader); unknown ids are not
 * cached, so garbage cannot grow it.
 */
export function createDecoder(
  reader: RegisteredSchema,
  lookup: (id: number) => RegisteredSchema | undefined,
  plans: Map<number, ReadPlan>,
): Decoder {
  const readerType = reader.type;
  let lastId = -1;
  let lastPlan: ReadPlan | undefined;

  return function decode(bytes: Uint8Array): DecodeResult {
    const buf = asBuffer(bytes);
    const len = buf.length;
    if (len < HEADER_SIZE || buf[0] !== MAGIC_BYTE) return fail(headerProblem(buf) ?? 'bad header');
    const id = readSchemaId(buf);
    let plan: ReadPlan | undefined;
    if (id === lastId) {
      plan = lastPlan;
    } else {
      plan = plans.get(id);
      if (plan === undefined) {
        const writer = lookup(id);
        if (writer === undefined) return fail(`unknown schema id ${id}`);
        plan = makeReadPlan(writer, reader);
        plans.set(id, plan);
      }
      lastId = id;
      lastPlan = plan;
    }
    if (plan === undefined) return fail(`unknown schema id ${id}`);
    if (plan.error !== undefined) return fail(plan.error);
    if (plan.guard !== undefined && plan.guard(buf, HEADER_SIZE) < 0) {
      return fail(`invalid Avro body written with ${plan.writerLabel}: ${guardFailure()}`);
    }
    let offset: number;
    let value: unknown;
    try {
      const r = readerType.decode(buf, HEADER_SIZE, plan.resolver);
      offset = r.offset;
      value = r.value;
    } catch (err) {
      return fail(`invalid Avro body written with ${plan.writerLabel}: ${errorText(err)}`);
    }
    if (offset < 0) return fail(`truncated Avro body written with ${plan.writerLabel}: ran out of bytes (${len - HEADER_SIZE} body bytes)`);
    if (offset !== len) return fail(`trailing bytes after the record: ${len - offset} extra byte(s) at offset ${offset} of ${len} (written with ${plan.writerLabel})`);
    return { ok: true, value };
  };
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * An encoder for one schema: validates (RECORD_VALIDATE naming the field
 * paths), then returns a fresh buffer with the wire header and the Avro body.
 */
export function createEncoder(schema: RegisteredSchema): (value: unknown) => Buffer {
  const type = schema.type;
  const id = schema.id;
  return (value: unknown): Buffer => {
    if (!type.isValid(value)) throw validationError(schema, validateValue(type, value));
    let end: number;
    try {
      end = type.encode(value, scratch, HEADER_SIZE);
      while (end < 0) {
        // avsc returns minus the missing byte count when the buffer is too small.
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end + HEADER_SIZE));
        end = type.encode(value, scratch, HEADER_SIZE);
      }
    } catch (err) {
      throw new MaasflowError('RECORD_VALIDATE', `cannot encode value as ${label(schema)}: ${errorText(err)}`, { cause: err });
    }
    writeHeader(scratch, id);
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    return out;
  };
}

export function validationError(schema: RegisteredSchema, messages: readonly string[]): MaasflowError {
  return new MaasflowError('RECORD_VALIDATE', `invalid value for ${label(schema)}: ${messages.join('; ')}`);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
