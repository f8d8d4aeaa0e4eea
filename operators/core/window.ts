import type { Key } from '../../engine/batch.ts';
import { parseDuration, durationSchema, type Duration } from '../../engine/duration.ts';
import { defineOperator } from '../definition.ts';
import { aggregationSites, aggregationsSchema, compileAggregations, type Accumulator, type AggregationSpec } from './aggregations.ts';
import { createAssigner, fmt, windowSpecSchema, type WindowSpec } from './window-assigner.ts';

interface WindowParams { window: WindowSpec; allowedLateness?: Duration; aggregations: Record<string, AggregationSpec> }

/**
 * window: tumbling or hopping event-time windows per key (a stream that is
 * not keyed has one global key, null), aggregated incrementally.
 *
 * Semantics (Kafka Streams' grace period with emit-final): a window
 * [start, end) emits once, when the watermark reaches end + allowedLateness.
 * A record whose window already emitted is late: it is added to the windows
 * still open and sent, once, to the `late` port and counted in `late_records`.
 * Results: { key, windowStart, windowEnd, ...aggregations } at time end - 1,
 * in order of window start, then key arrival. The output watermark is held
 * back by allowedLateness, so results are never late downstream.
 */
export const windowOperator = defineOperator<WindowParams>({
  type: 'window',
  summary: 'Tumbling or hopping event-time window aggregation per key',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['window', 'aggregations'],
    properties: { window: windowSpecSchema, allowedLateness: durationSchema, aggregations: aggregationsSchema },
  },
  ports: () => ['out', 'late'],
  expressions: (p) => aggregationSites(p.aggregations),
  describe: (p) => ({ window: `${createAssigner(p.window).describe()}, lateness ${fmt(parseDuration(p.allowedLateness ?? 0))}` }),
  create(p, ctx) {
    const assigner = createAssigner(p.window);
    const size = assigner.size;
    const lateness = parseDuration(p.allowedLateness ?? 0, 'allowedLateness');
    const agg = compileAggregations(p.aggregations);
    // window start -> key -> accumulator
    const windows = ctx.store<number, Map<Key | null, Accumulator>>('windows');
    const lateRecords = ctx.counter('late_records', 'records that arrived after one of their windows was emitted');
    let wmBefore = -Infinity;
    let missed = false;
    let key: Key | null = null;
    let value: unknown;
    let ts = 0;
    const addTo = (start: number): void => {
      if (start + size + lateness <= wmBefore) {
        missed = true;
        return;
      }
      let panes = windows.get(start);
      if (!panes) windows.set(start, (panes = new Map()));
      let acc = panes.get(key);
      if (!acc) panes.set(key, (acc = agg.create()));
      agg.add(acc, value, key, ts);
    };

    return {
      process(batch, _input, out, watermarkBefore) {
        const { values, timestamps, keys } = batch;
        wmBefore = watermarkBefore;
        for (let i = 0; i < values.length; i++) {
          value = values[i];
          ts = timestamps[i]!;
          key = keys === null ? null : keys[i]!;
          missed = false;
          assigner.assign(ts, addTo);
          if (missed) {
            lateRecords.inc();
            out.push(value, ts, key, 'late');
          }
        }
      },
      onWatermark(watermark, out) {
        const due: number[] = [];
        for (const start of windows.keys()) if (start + size + lateness <= watermark) due.push(start);
        if (due.length === 0) return;
        due.sort((a, b) => a - b);
        for (const start of due) {
          const end = start + size;
          for (const [k, acc] of windows.get(start)!) {
            const result: Record<string, unknown> = { key: k, windowStart: start, windowEnd: end };
            agg.result(acc, result);
            out.push(result, end - 1, k);
          }
          windows.delete(start);
        }
      },
      outputWatermark: (w) => w - lateness,
    };
  },
});
