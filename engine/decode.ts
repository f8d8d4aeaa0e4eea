import type { SourceFormat } from './connectors.ts';
import type { SchemaRegistry } from '../schemas/index.ts';

/** Turns one raw source value into a record value, or says why it cannot. */
export type ValueDecoder = (raw: unknown) => { ok: true; value: unknown } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asBytes(raw: unknown): Uint8Array | null {
  return raw instanceof Uint8Array ? raw : null;
}

/**
 * The decoder for a source's `format` and optional Avro `schema`:
 * avro decodes the Confluent wire format with writer->reader resolution;
 * json and object values are validated against the schema when one is named.
 * Returns null when values pass through untouched (the fast path).
 */
export function createValueDecoder(format: SourceFormat, schemaRef: string | undefined, schemas: SchemaRegistry): ValueDecoder | null {
  const notBytes = (raw: unknown): string => (raw === null || raw === undefined ? 'value is null (a tombstone)' : 'value is not bytes');
  const validate = schemaRef ? (v: unknown): string[] => schemas.validate(schemaRef, v) : null;
  const checked = (value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } => {
    if (!validate) return { ok: true, value };
    const errors = validate(value);
    return errors.length === 0 ? { ok: true, value } : { ok: false, reason: `does not match schema ${schemaRef}: ${errors.join('; ')}` };
  };
  switch (format) {
    case 'avro': {
      if (!schemaRef) throw new Error('format avro needs a schema');
      const decode = schemas.decoder(schemaRef);
      return (raw) => {
        const bytes = asBytes(raw);
        if (!bytes) return { ok: false, reason: notBytes(raw) };
        return decode(bytes);
      };
    }
    case 'json':
      return (raw) => {
        const bytes = asBytes(raw);
        if (raw === null || raw === undefined) return { ok: false, reason: notBytes(raw) };
        let text: string;
        try {
          text = bytes ? utf8.decode(bytes) : String(raw);
        } catch {
          return { ok: false, reason: 'value is not valid UTF-8' };
        }
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
        }
        return checked(value);
      };
    case 'string':
      return (raw) => {
        const bytes = asBytes(raw);
        if (!bytes) return { ok: true, value: String(raw) };
        try {
          return { ok: true, value: utf8.decode(bytes) };
        } catch {
          return { ok: false, reason: 'value is not valid UTF-8' };
        }
      };
    case 'object':
      return validate ? checked : null;
    case 'bytes':
      return null;
  }
}

/** The raw form of a value for a dead-letter record. */
export function rawBytes(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  return Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw) ?? String(raw), 'utf8');
}
