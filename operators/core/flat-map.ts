import { compileExpression } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES } from '../definition.ts';

interface FlatMapParams { expr: string }

/** flatMap: `expr` yields an array; each element becomes a record with the input's key and timestamp. */
export const flatMapOperator = defineOperator<FlatMapParams>({
  type: 'flatMap',
  summary: 'Expand each record into the elements of an array expression',
  paramsSchema: { type: 'object', additionalProperties: false, required: ['expr'], properties: { expr: { type: 'string' } } },
  expressions: (p) => [{ path: 'expr', expr: p.expr, variables: RECORD_VARIABLES }],
  create(p, ctx) {
    const fn = compileExpression(p.expr, { variables: RECORD_VARIABLES });
    const notArray = ctx.counter('flatmap_non_array', 'records whose flatMap expression gave no array (emitted nothing)');
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        for (let i = 0; i < values.length; i++) {
          const key = keys === null ? null : keys[i]!;
          const items = fn(values[i], key, timestamps[i]);
          if (!Array.isArray(items)) {
            notArray.inc();
            continue;
          }
          for (const item of items) out.push(item, timestamps[i]!, key);
        }
      },
    };
  },
});
