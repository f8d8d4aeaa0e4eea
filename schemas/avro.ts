/**
 * The one place that builds avsc types, so every schema in the registry is
 * parsed with the same options.
 *
 * - `wrapUnions: false`: unions are plain JS values (`null | string`, not
 *   `{ string: "x" }`); a union avsc cannot tell apart at runtime (two record
 *   branches, int + long, ...) is rejected when the schema is loaded.
 * - `omitRecordMethods: true`: decoded records are data only (no clone/toBuffer
 *   methods on their prototype).
 * - Logical types are not registered, so `timestamp-millis` & co. read and write
 *   as their underlying type (a `long` is a JS number).
 *
 * avsc mutates the options object it is given (it stores its name registry in
 * it), so every call gets a fresh one: versions of one subject share a full
 * name and would otherwise collide.
 */
import avsc from 'avsc';
import type { Type, types as AvscTypes } from 'avsc';

export type AvroType = Type;
export type AvroResolver = ReturnType<Type['createResolver']>;
export type AvroRecordType = AvscTypes.RecordType;
export type AvroArrayType = AvscTypes.ArrayType;
export type AvroMapType = AvscTypes.MapType;
export type AvroUnionType = AvscTypes.UnwrappedUnionType;
export type AvroEnumType = AvscTypes.EnumType;
export type AvroFixedType = AvscTypes.FixedType;
export type AvroLogicalType = AvscTypes.LogicalType;
type AvroSchemaInput = Parameters<typeof avsc.Type.forSchema>[0];

/** Parse a schema (already-parsed JSON) into an avsc type. Throws avsc's Error on a bad schema. */
export function parseAvroSchema(schema: unknown): AvroType {
  return avsc.Type.forSchema(schema as AvroSchemaInput, { wrapUnions: false, omitRecordMethods: true });
}

/** The kind of a type: 'record', 'array', 'map', 'union', 'enum', 'fixed', 'logical' or a primitive name. */
export function kindOf(type: AvroType): string {
  const name = type.typeName;
  if (name.startsWith('union')) return 'union';
  if (name.startsWith('logical')) return 'logical';
  return name === 'error' ? 'record' : name;
}

/** Short human description of a type for messages: `long`, `record nexmark.Bid`, `null | string`. */
export function describeType(type: AvroType): string {
  switch (kindOf(type)) {
    case 'record':
    case 'enum':
    case 'fixed':
      return `${kindOf(type)} ${type.name ?? '(anonymous)'}`;
    case 'array':
      return `array<${describeType((type as AvroArrayType).itemsType)}>`;
    case 'map':
      return `map<${describeType((type as AvroMapType).valuesType as AvroType)}>`;
    case 'union':
      return (type as AvroUnionType).types.map(describeType).join(' | ');
    case 'logical':
      return describeType((type as AvroLogicalType).underlyingType);
    default:
      return type.typeName;
  }
}
