import { compileExpression, compileObject } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES } from '../definition.ts';

interface MapParams { expr?: string; fields?: Record<string, string> }

/** map: each record's value becomes `expr`, or a new object built from `fields` (one expression each). */
export const mapOperator = defineOperator<MapParams>({
  type: 'map',
  summary: 'Replace each value by an expression or by an object of named expressions',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { expr: { type: 'string' }, fields: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 } },
  },
  check(p) {
    if (p.expr !== undefined && p.fields !== undefined) return [{ path: 'fields', message: 'use either "expr" or "fields", not both' }];
    if (p.expr === undefined && p.fields === undefined) return [{ path: '', message: 'needs either "expr" (one expression) or "fields" (an object of named expressions)' }];
    return [];
  },
  expressions: (p) =>
    p.fields
      ? Object.entries(p.fields).map(([name, expr]) => ({ path: `fields/${name}`, expr, variables: RECORD_VARIABLES }))
      : p.expr !== undefined
        ? [{ path: 'expr', expr: p.expr, variables: RECORD_VARIABLES }]
        : [],
  create(p) {
    const fn = p.fields ? compileObject(p.fields, { variables: RECORD_VARIABLES }) : compileExpression(p.expr ?? '', { variables: RECORD_VARIABLES });
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        const n = values.length;
        const mapped = new Array<unknown>(n);
        for (let i = 0; i < n; i++) mapped[i] = fn(values[i], keys === null ? null : keys[i], timestamps[i]);
        out.emitColumns(mapped, timestamps, keys);
      },
    };
  },
});
