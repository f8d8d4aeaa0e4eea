import type { Key } from '../../engine/batch.ts';
import { defineOperator } from '../definition.ts';
import { aggregationSites, aggregationsSchema, compileAggregations, reservedNameProblems, type Accumulator, type AggregationSpec } from './aggregations.ts';

interface AggregateParams { aggregations: Record<string, AggregationSpec> }

/**
 * aggregate: a running aggregation per key with state (a KTable). After each
 * input batch it emits one update per key the batch touched, in order of
 * first touch: { key, ...aggregations } at the latest record time of that key.
 */
export const aggregateOperator = defineOperator<AggregateParams>({
  type: 'aggregate',
  summary: 'Running keyed aggregation with state (one update per touched key per batch)',
  paramsSchema: { type: 'object', additionalProperties: false, required: ['aggregations'], properties: { aggregations: aggregationsSchema } },
  expressions: (p) => aggregationSites(p.aggregations),
  check: (p) => reservedNameProblems(p.aggregations, ['key']),
  create(p, ctx) {
    const agg = compileAggregations(p.aggregations);
    const table = ctx.store<Key | null, Accumulator>('table');
    return {
      process(batch, _input, out) {
        const { values, timestamps, keys } = batch;
        const touched = new Map<Key | null, number>();
        for (let i = 0; i < values.length; i++) {
          const key = keys === null ? null : keys[i]!;
          const ts = timestamps[i]!;
          let acc = table.get(key);
          if (!acc) table.set(key, (acc = agg.create()));
          agg.add(acc, values[i], key, ts);
          const seen = touched.get(key);
          if (seen === undefined || ts > seen) touched.set(key, ts);
        }
        for (const [key, ts] of touched) {
          out.push(agg.keyed(key, table.get(key)!), ts, key);
        }
      },
    };
  },
});
