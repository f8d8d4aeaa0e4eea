import type { Key } from '../../engine/batch.ts';
import { parseDuration, durationSchema, type Duration } from '../../engine/duration.ts';
import { defineOperator } from '../definition.ts';
import { aggregationSites, aggregationsSchema, compileAggregations, reservedNameProblems, WINDOW_RESULT_FIELDS, type Accumulator, type AggregationSpec } from './aggregations.ts';
import { fmt } from './window-assigner.ts';

interface SessionParams { gap: Duration; allowedLateness?: Duration; aggregations: Record<string, AggregationSpec> }

/** [start, end, accumulator]: end = last record time + gap. */
type Session = [number, number, Accumulator];

/**
 * sessionWindow: per key, records closer than `gap` form one session
 * [first, last + gap). A record opens [t, t + gap) and merges every open
 * session it overlaps. A session emits once, when the watermark reaches
 * end + allowedLateness; a record whose merged session would already have
 * emitted is late (sent to `late`, counted, not added).
 */
export const sessionWindowOperator = defineOperator<SessionParams>({
  type: 'sessionWindow',
  summary: 'Gap-based session windows per key',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['gap', 'aggregations'],
    properties: { gap: durationSchema, allowedLateness: durationSchema, aggregations: aggregationsSchema },
  },
  ports: () => ['out', 'late'],
  expressions: (p) => aggregationSites(p.aggregations),
  check: (p) => reservedNameProblems(p.aggregations, WINDOW_RESULT_FIELDS),
  describe: (p) => ({ window: `session gap ${fmt(parseDuration(p.gap))}, lateness ${fmt(parseDuration(p.allowedLateness ?? 0))}` }),
  create(p, ctx) {
    const gap = parseDuration(p.gap, 'gap');
    const lateness = parseDuration(p.allowedLateness ?? 0, 'allowedLateness');
    const agg = compileAggregations(p.aggregations);
    const sessions = ctx.store<Key | null, Session[]>('sessions');
    const lateRecords = ctx.counter('late_records', 'records that arrived after their session was emitted');
    // Derived lower bound of open session ends, to skip scans while nothing can fire; null = unknown (after restore).
    let minEnd: number | null = Infinity;

    return {
      onRestore() { minEnd = null; },
      process(batch, _input, out, watermarkBefore) {
        const { values, timestamps, keys } = batch;
        for (let i = 0; i < values.length; i++) {
          const ts = timestamps[i]!;
          const key = keys === null ? null : keys[i]!;
          const list = sessions.get(key) ?? [];
          let start = ts;
          let end = ts + gap;
          const overlapping: number[] = [];
          for (let j = 0; j < list.length; j++) {
            const s = list[j]!;
            if (s[0] < end && start < s[1]) {
              overlapping.push(j);
              start = Math.min(start, s[0]);
              end = Math.max(end, s[1]);
            }
          }
          // merging can widen the range into further sessions: repeat until stable
          for (let grew = overlapping.length > 0; grew; ) {
            grew = false;
            for (let j = 0; j < list.length; j++) {
              const s = list[j]!;
              if (!overlapping.includes(j) && s[0] < end && start < s[1]) {
                overlapping.push(j);
                start = Math.min(start, s[0]);
                end = Math.max(end, s[1]);
                grew = true;
              }
            }
          }
          if (end + lateness <= watermarkBefore) {
            lateRecords.inc();
            out.push(values[i], ts, key, 'late');
            continue;
          }
          const acc = agg.create();
          agg.add(acc, values[i], key, ts);
          overlapping.sort((a, b) => a - b);
          for (const j of overlapping) agg.merge(acc, list[j]![2]);
          const kept = list.filter((_, j) => !overlapping.includes(j));
          kept.push([start, end, acc]);
          sessions.set(key, kept);
          if (minEnd !== null && end < minEnd) minEnd = end;
        }
      },
      onWatermark(watermark, out) {
        if (minEnd !== null && minEnd + lateness > watermark) return;
        const due: [Key | null, Session][] = [];
        let nextMin = Infinity;
        for (const [key, list] of sessions) {
          const open: Session[] = [];
          for (const s of list) {
            if (s[1] + lateness <= watermark) due.push([key, s]);
            else {
              open.push(s);
              nextMin = Math.min(nextMin, s[1]);
            }
          }
          if (open.length === 0) sessions.delete(key);
          else if (open.length !== list.length) sessions.set(key, open);
        }
        minEnd = nextMin;
        due.sort((a, b) => a[1][1] - b[1][1] || a[1][0] - b[1][0]);
        for (const [key, [start, end, acc]] of due) {
          out.push(agg.windowed(key, start, end, acc), end - 1, key);
        }
      },
      outputWatermark: (w) => w - lateness,
    };
  },
});
