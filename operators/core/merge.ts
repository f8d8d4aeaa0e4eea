import { defineOperator } from '../definition.ts';

/** merge: the union of its inputs; the output watermark is the minimum of the inputs' (done by the engine). */
export const mergeOperator = defineOperator<Record<string, never>>({
  type: 'merge',
  summary: 'Union of several streams',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { min: 2, max: 64 },
  create() {
    return {
      process(batch, _input, out) {
        out.emitColumns(batch.values, batch.timestamps, batch.keys);
      },
    };
  },
});
