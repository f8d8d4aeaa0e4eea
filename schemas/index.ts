export { SchemaRegistry, DEFAULT_SCHEMA_DIR } from './registry.ts';
export type { RegisteredSchema, DecodeResult, Decoder } from './types.ts';
export { label } from './types.ts';
export { validateValue } from './validate.ts';
export { MAGIC_BYTE, HEADER_SIZE, MAX_SCHEMA_ID, asBuffer, frame, readHeader, readSchemaId, writeHeader, type HeaderResult } from './wire-format.ts';
export { expectedFile, INDEX_FILE } from './load.ts';
