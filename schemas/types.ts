import type { AvroType } from './avro.ts';

/** One registered schema version. */
export interface RegisteredSchema {
  /** Stable numeric id (the id written in the wire header). */
  id: number;
  /** Full Avro name of the schema, e.g. `nexmark.Bid`. */
  subject: string;
  /** 1, 2, ... contiguous per subject. */
  version: number;
  /** Path relative to the registry folder (`nexmark/Bid.v1.avsc`), or `<memory>` for `fromEntries`. */
  file: string;
  type: AvroType;
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; reason: string };

export type Decoder = (bytes: Uint8Array) => DecodeResult;

/** `nexmark.Bid@2` */
export function label(schema: RegisteredSchema): string {
  return `${schema.subject}@${schema.version}`;
}
