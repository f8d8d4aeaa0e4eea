import type { ErrorObject } from 'ajv';

/**
 * ajv errors as one line naming each bad field, the form every request check
 * uses: `/reason: must be string`, `/: missing required field "reason"`,
 * `/: unknown field "owner"`, `/type: must be one of "micro", "macro"`.
 * Repeated lines (ajv reports some twice) appear once.
 */
export function describeAjvErrors(errors: readonly ErrorObject[]): string {
  const lines = errors.map((e) => {
    const at = e.instancePath || '/';
    if (e.keyword === 'required') return `${at}: missing required field "${String(e.params.missingProperty)}"`;
    if (e.keyword === 'additionalProperties') return `${at}: unknown field "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'enum') return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    return `${at}: ${e.message ?? e.keyword}`;
  });
  return [...new Set(lines)].join('; ');
}
