import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DURATION_PATTERN } from '../engine/duration.ts';
import type { MaasflowError } from '../engine/errors.ts';
import { pointerToPath, type SourceFile } from './source-file.ts';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once per schema object) and validates; returns errors located in the file under `base`. */
export function validateAgainst(
  schema: Readonly<Record<string, unknown>>,
  data: unknown,
  source: SourceFile,
  base: readonly (string | number)[],
  code: MaasflowError['code'],
): MaasflowError[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  return simplify(validate.errors ?? []).map((e) => {
    const path = [...base, ...pointerToPath(e.instancePath)];
    return source.error(code, missingAware(path, e), describe(e, data));
  });
}

/** Drops the noise of oneOf/anyOf/if when a more specific error exists at or below the same place. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'not'].includes(e.keyword));
  const chosen = specific.length > 0 ? specific : errors;
  const seen = new Set<string>();
  return chosen.filter((e) => {
    const id = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function missingAware(path: (string | number)[], e: ErrorObject): (string | number)[] {
  if (e.keyword === 'required') return [...path, String(e.params.missingProperty)];
  if (e.keyword === 'additionalProperties') return [...path, String(e.params.additionalProperty)];
  return path;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const seg of pointerToPath(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function describe(e: ErrorObject, data: unknown): string {
  switch (e.keyword) {
    case 'required':
      return `missing required field "${String(e.params.missingProperty)}"`;
    case 'additionalProperties':
      return `unknown field "${String(e.params.additionalProperty)}"`;
    case 'type': {
      const got = valueAt(data, e.instancePath);
      const expected = String(e.params.type).replace(',', ' or ');
      return got === null || got === undefined ? `wrong type: expected ${expected}, got ${String(got)}` : `wrong type: expected ${expected}, got ${Array.isArray(got) ? 'array' : typeof got} ${JSON.stringify(got)}`;
    }
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(e.params.allowedValue)}`;
    case 'pattern':
      if (e.params.pattern === DURATION_PATTERN) return `"${String(valueAt(data, e.instancePath))}" is not a duration (examples: 500ms, 10s, 2m, 1h)`;
      return `"${String(valueAt(data, e.instancePath))}" does not match ${String(e.params.pattern)}`;
    case 'oneOf':
      return 'must match exactly one of the allowed forms (see the topology reference)';
    default:
      return e.message ?? e.keyword;
  }
}
