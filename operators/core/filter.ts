import type { Key } from '../../engine/batch.ts';
import { compileExpression } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES } from '../definition.ts';

interface FilterParams { expr: string }

/** filter: keeps the records for which `expr` is truthy. */
export const filterOperator = defineOperator<FilterParams>({
  type: 'filter',
  summary: 'Keep records for which an expression is true',
  paramsSchema: { type: 'object', additionalProperties: false, required: ['expr'], properties: { expr: { type: 'string' } } },
  expressions: (p) => [{ path: 'expr', expr: p.expr, variables: RECORD_VARIABLES }],
  create(p) {
    const pred = compileExpression(p.expr, { variables: RECORD_VARIABLES });
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        const n = values.length;
        const keptValues: unknown[] = [];
        const keptTs = new Float64Array(n);
        const keptKeys: (Key | null)[] | null = keys === null ? null : [];
        let m = 0;
        for (let i = 0; i < n; i++) {
          const key = keys === null ? null : keys[i]!;
          if (pred(values[i], key, timestamps[i])) {
            keptValues.push(values[i]);
            keptTs[m++] = timestamps[i]!;
            if (keptKeys) keptKeys.push(key);
          }
        }
        if (m === n) out.emitColumns(values, timestamps, keys);
        else out.emitColumns(keptValues, keptTs.subarray(0, m), keptKeys);
      },
    };
  },
});
