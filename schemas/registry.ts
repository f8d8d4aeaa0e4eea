/**
 * The local Avro schema registry: versioned schemas with stable numeric ids,
 * encoders/decoders over the Confluent wire format, and value validation.
 * See docs/SCHEMAS.md.
 */
import { fileURLToPath } from 'node:url';
import { MaasflowError } from '../engine/errors.ts';
import { createDecoder, createEncoder, type ReadPlan } from './codec.ts';
import { loadRegistryDir, registryFromEntries } from './load.ts';
import { label, type Decoder, type RegisteredSchema } from './types.ts';
import { validateValue } from './validate.ts';
import { parseAvroSchema } from './avro.ts';

/** The repo's schemas/ folder (this module's folder). */
export const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('.', import.meta.url));

const REF = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:@(latest|\d+))?$/;

export class SchemaRegistry {
  private readonly byIdMap = new Map<number, RegisteredSchema>();
  /** subject -> versions, index = version - 1 */
  private readonly bySubject = new Map<string, RegisteredSchema[]>();
  private readonly refCache = new Map<string, RegisteredSchema>();
  /** reader id -> writer id -> plan */
  private readonly plans = new Map<number, Map<number, ReadPlan>>();
  private readonly encoders = new Map<number, (value: unknown) => Buffer>();

  private constructor(schemas: readonly RegisteredSchema[]) {
    for (const s of schemas) {
      this.byIdMap.set(s.id, s);
      const versions = this.bySubject.get(s.subject) ?? [];
      versions[s.version - 1] = s;
      this.bySubject.set(s.subject, versions);
    }
  }

  /**
   * Load `<dir>/registry.json` and the schema files it lists. Throws
   * MaasflowError (SCHEMA_REGISTRY_INVALID, SCHEMA_INVALID, SCHEMA_INCOMPATIBLE)
   * for one problem, ValidationErrors for several.
   */
  static load(dir: string = DEFAULT_SCHEMA_DIR): SchemaRegistry {
    return new SchemaRegistry(loadRegistryDir(dir));
  }

  /** Build from in-memory schemas (tests, remote registries); same checks as load. */
  static fromEntries(entries: { id: number; subject: string; version: number; schema: object }[]): SchemaRegistry {
    return new SchemaRegistry(registryFromEntries(entries));
  }

  /** Subjects, sorted. */
  subjects(): string[] {
    return [...this.bySubject.keys()].sort();
  }

  /** Every registered schema, by id. */
  schemas(): RegisteredSchema[] {
    return [...this.byIdMap.values()].sort((a, b) => a.id - b.id);
  }

  has(subject: string): boolean {
    return this.bySubject.has(subject);
  }

  /** One version of a subject (default: the latest). SCHEMA_NOT_FOUND when missing. */
  get(subject: string, version: number | 'latest' = 'latest'): RegisteredSchema {
    const versions = this.bySubject.get(subject);
    if (versions === undefined) {
      const known = this.subjects();
      throw new MaasflowError(
        'SCHEMA_NOT_FOUND',
        `schema ${subject}@${version} not found: unknown subject "${subject}"; known subjects: ${known.length ? known.join(', ') : '(none)'}`,
      );
    }
    const found = version === 'latest' ? versions[versions.length - 1] : Number.isInteger(version) ? versions[version - 1] : undefined;
    if (found === undefined) {
      throw new MaasflowError(
        'SCHEMA_NOT_FOUND',
        `schema ${subject}@${version} not found: ${subject} has versions ${versions.map((s) => s.version).join(', ')}`,
      );
    }
    return found;
  }

  /** The schema with a wire id. SCHEMA_NOT_FOUND when unknown. */
  byId(id: number): RegisteredSchema {
    const found = this.byIdMap.get(id);
    if (found === undefined) {
      const ids = [...this.byIdMap.keys()].sort((a, b) => a - b);
      throw new MaasflowError('SCHEMA_NOT_FOUND', `no schema with id ${id}; known ids: ${ids.length ? ids.join(', ') : '(none)'}`);
    }
    return found;
  }

  hasId(id: number): boolean {
    return this.byIdMap.has(id);
  }

  /**
   * Adds a writer schema fetched from a remote (Confluent-compatible) registry
   * under its wire id; decoders then resolve data written with it like data
   * written with a local schema. A local schema with the same id wins.
   */
  addWriterSchema(id: number, schema: object, subject?: string): RegisteredSchema {
    const existing = this.byIdMap.get(id);
    if (existing) return existing;
    let type: RegisteredSchema['type'];
    try {
      type = parseAvroSchema(schema);
    } catch (err) {
      throw new MaasflowError('SCHEMA_INVALID', `remote schema id ${id} is not valid Avro: ${(err as Error).message}`, { cause: err });
    }
    const entry: RegisteredSchema = { id, subject: subject ?? (type.name ?? `remote.${id}`), version: 0, file: `remote:${id}`, type };
    this.byIdMap.set(id, entry);
    return entry;
  }

  /** "nexmark.Bid" (latest), "nexmark.Bid@2" or "nexmark.Bid@latest". */
  resolveRef(ref: string): RegisteredSchema {
    const cached = this.refCache.get(ref);
    if (cached !== undefined) return cached;
    const m = typeof ref === 'string' ? REF.exec(ref.trim()) : null;
    if (m === null) {
      throw new MaasflowError(
        'SCHEMA_NOT_FOUND',
        `bad schema reference ${JSON.stringify(ref)}: expected "<subject>", "<subject>@<version>" or "<subject>@latest", e.g. "nexmark.Bid@1"`,
      );
    }
    const subject = m[1] as string;
    const version = m[2] === undefined || m[2] === 'latest' ? 'latest' : Number(m[2]);
    const found = this.get(subject, version);
    this.refCache.set(ref, found);
    return found;
  }

  /** Validate, then encode in the wire format with the schema's id. RECORD_VALIDATE names the bad field paths. */
  encode(ref: string, value: unknown): Uint8Array {
    return this.encoderFor(this.resolveRef(ref))(value);
  }

  /** A reusable encoder for one schema (saves the reference lookup per record). */
  encoder(ref: string): (value: unknown) => Uint8Array {
    return this.encoderFor(this.resolveRef(ref));
  }

  /**
   * A decoder returning values in the shape of `readerRef` (resolved now, so
   * "@latest" is fixed when the decoder is made). Data written with any
   * registered schema the reader can resolve is accepted. Never throws on bad bytes.
   */
  decoder(readerRef: string): Decoder {
    const reader = this.resolveRef(readerRef);
    let plans = this.plans.get(reader.id);
    if (plans === undefined) {
      plans = new Map();
      this.plans.set(reader.id, plans);
    }
    return createDecoder(reader, (id) => this.byIdMap.get(id), plans);
  }

  /** [] when valid, else messages such as `price: expected long, got "abc"`. */
  validate(ref: string, value: unknown): string[] {
    return validateValue(this.resolveRef(ref).type, value);
  }

  private encoderFor(schema: RegisteredSchema): (value: unknown) => Buffer {
    let enc = this.encoders.get(schema.id);
    if (enc === undefined) {
      enc = createEncoder(schema);
      this.encoders.set(schema.id, enc);
    }
    return enc;
  }

  toString(): string {
    return `SchemaRegistry(${this.schemas().map((s) => `${label(s)}#${s.id}`).join(', ')})`;
  }
}
