import { Ajv } from 'ajv';
import { MaasflowError } from '../engine/errors.ts';
import { describeAjvErrors } from '../engine/schema-errors.ts';

/**
 * Request checks for the control API: bodies against JSON schemas (ajv, not
 * fastify's validator, which coerces types and strips unknown fields instead
 * of refusing them) and path parameters against patterns. Every refusal is a
 * REQUEST_INVALID naming the route and each bad field, thrown before anything
 * reaches the control plane.
 */
const ajv = new Ajv({ allErrors: true, strict: true });

export interface BodyCheckOptions<T> {
  /** The value an absent body stands for (routes whose body is optional); without it an absent body is refused. */
  whenAbsent?: T;
}

/**
 * Compiles `schema` now, so a bad schema fails when the server boots, and
 * returns a check of request bodies: the body typed as T, or REQUEST_INVALID
 * `ROUTE body: /field: problem; ...`.
 */
export function bodyCheck<T>(route: string, schema: Readonly<Record<string, unknown>>, options: BodyCheckOptions<T> = {}): (body: unknown) => T {
  const validate = ajv.compile(schema);
  return (body) => {
    if (body === undefined) {
      if (options.whenAbsent !== undefined) return options.whenAbsent;
      throw new MaasflowError('REQUEST_INVALID', `${route} body: missing (send a JSON object with Content-Type: application/json)`);
    }
    if (!validate(body)) throw new MaasflowError('REQUEST_INVALID', `${route} body: ${describeAjvErrors(validate.errors ?? [])}`);
    return body as T;
  };
}

/** A reason or comment a person writes: one line of text, bounded. */
export const REASON = { type: 'string', minLength: 1, maxLength: 1000 } as const;

/** Ids of parameter versions (`v3`, `v1+top-k-8.variant`) and approvals. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,199}$';

function rawParam(route: string, params: unknown, name: string): string {
  const value = params !== null && typeof params === 'object' ? (params as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') throw new MaasflowError('REQUEST_INVALID', `${route}: path parameter :${name} is missing`);
  return value;
}

/** A path parameter that must match `pattern` (an id), else REQUEST_INVALID naming it. */
export function idParam(route: string, params: unknown, name: string, pattern: string = ID_PATTERN): string {
  const value = rawParam(route, params, name);
  if (!new RegExp(pattern).test(value)) throw new MaasflowError('REQUEST_INVALID', `${route}: path parameter :${name} ${JSON.stringify(value)} does not match ${pattern}`);
  return value;
}

/** A path parameter that must be a whole number ≥ 1 (a cycle number). */
export function positiveIntParam(route: string, params: unknown, name: string): number {
  const value = rawParam(route, params, name);
  const n = /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new MaasflowError('REQUEST_INVALID', `${route}: path parameter :${name} must be an integer ≥ 1, got ${JSON.stringify(value)}`);
  return n;
}
