import type { Key } from '../../engine/batch.ts';
import { compileExpression } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES } from '../definition.ts';

interface KeyByParams { expr: string }

/**
 * keyBy: sets each record's key (the repartition point: keyed state,
 * windows and joins group by it; a log or Kafka sink partitions by it).
 * Keys that are not strings or numbers are turned into strings.
 */
export const keyByOperator = defineOperator<KeyByParams>({
  type: 'keyBy',
  summary: 'Key records by an expression (repartition point)',
  paramsSchema: { type: 'object', additionalProperties: false, required: ['expr'], properties: { expr: { type: 'string' } } },
  keyEffect: 'sets',
  expressions: (p) => [{ path: 'expr', expr: p.expr, variables: RECORD_VARIABLES }],
  describe: (p) => ({ keyBy: p.expr }),
  create(p) {
    const fn = compileExpression(p.expr, { variables: RECORD_VARIABLES });
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        const n = values.length;
        const newKeys = new Array<Key | null>(n);
        for (let i = 0; i < n; i++) newKeys[i] = toKey(fn(values[i], keys === null ? null : keys[i], timestamps[i]));
        out.emitColumns(values, timestamps, newKeys);
      },
    };
  },
});

export function toKey(k: unknown): Key | null {
  if (typeof k === 'string' || typeof k === 'number') return k;
  if (k === null || k === undefined) return null;
  return typeof k === 'bigint' || typeof k === 'boolean' ? String(k) : JSON.stringify(k);
}
