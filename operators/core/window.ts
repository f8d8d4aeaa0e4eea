import type { Key } from '../../engine/batch.ts';
import { parseDuration, durationSchema, type Duration } from '../../engine/duration.ts';
import { defineOperator } from '../definition.ts';
import { aggregationSites, aggregationsSchema, compileAggregations, reservedNameProblems, WINDOW_RESULT_FIELDS, type Accumulator, type AggregationSpec } from './aggregations.ts';
import { fmt, windowSpecSchema, type WindowSpec } from './window-assigner.ts';
import { windowGeometry } from './window-geometry.ts';

interface WindowParams { window: WindowSpec; allowedLateness?: Duration; aggregations: Record<string, AggregationSpec> }

/** Per pane and key: arrival sequence of the key's first record in the pane, and the accumulator. */
type PaneEntry = [number, Accumulator];
/** Arrival counter and the start of the last window emitted (checkpointed with the panes). */
interface WindowMeta { seq: number; firedUpTo: number }

/**
 * window: tumbling or hopping event-time windows per key (a stream that is
 * not keyed has one global key, null), aggregated incrementally.
 *
 * Semantics (Kafka Streams' grace period with emit-final): a window
 * [start, end) emits once, when the watermark reaches end + allowedLateness.
 * A record whose window already emitted is late for it: it still counts in
 * its windows that are open, and it is sent once to the `late` port and
 * counted in `late_records`. Results: { key, windowStart, windowEnd,
 * ...aggregations } at time end - 1, in order of window start, then of the
 * key's first arrival in the window. The output watermark is held back by
 * allowedLateness, so results are never late downstream.
 *
 * State is kept per pane (gcd of size and slide; Flink's window slicing):
 * each record updates one pane, and a window merges its panes when it emits.
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
  check: (p) => [
    ...windowGeometry(p.window).problems.map((q) => ({ path: `window/${q.path}`, message: q.message })),
    ...reservedNameProblems(p.aggregations, WINDOW_RESULT_FIELDS),
  ],
  describe: (p) => ({ window: `${windowGeometry(p.window).describe}, lateness ${fmt(parseDuration(p.allowedLateness ?? 0))}` }),
  create(p, ctx) {
    const g = windowGeometry(p.window);
    const { size, slide, pane, offset } = g;
    const tumbling = pane === size;
    const lateness = parseDuration(p.allowedLateness ?? 0, 'allowedLateness');
    const agg = compileAggregations(p.aggregations);
    const panes = ctx.store<number, Map<Key | null, PaneEntry>>('panes');
    const metaStore = ctx.store<'meta', WindowMeta>('meta');
    const lateRecords = ctx.counter('late_records', 'records that arrived after one of their windows was emitted');
    const meta = (): WindowMeta => {
      let m = metaStore.get('meta');
      if (!m) metaStore.set('meta', (m = { seq: 0, firedUpTo: -Infinity }));
      return m;
    };

    return {
      process(batch, _input, out, watermarkBefore) {
        const { values, timestamps, keys } = batch;
        const m = meta();
        let seq = m.seq;
        let cachedStart = NaN;
        let cached: Map<Key | null, PaneEntry> | undefined;
        // whether the pane's newest / oldest window already emitted (fixed for the batch: watermarkBefore)
        let allClosed = false;
        let someClosed = false;
        for (let i = 0; i < values.length; i++) {
          const ts = timestamps[i]!;
          const paneStart = g.paneOf(ts);
          if (paneStart !== cachedStart) {
            cachedStart = paneStart;
            allClosed = g.lastEnd(paneStart) + lateness <= watermarkBefore;
            someClosed = g.firstEnd(paneStart) + lateness <= watermarkBefore;
            cached = allClosed ? undefined : panes.get(paneStart);
            if (!allClosed && !cached) panes.set(paneStart, (cached = new Map()));
          }
          if (someClosed) {
            lateRecords.inc();
            out.push(values[i], ts, keys === null ? null : keys[i]!, 'late');
            if (allClosed) continue;
          }
          const key = keys === null ? null : keys[i]!;
          let entry = cached!.get(key);
          if (!entry) cached!.set(key, (entry = [seq++, agg.create()]));
          agg.add(entry[1], values[i], key, ts);
        }
        m.seq = seq;
      },
      onWatermark(watermark, out) {
        const m = meta();
        // the newest window start that is due: start + size + lateness <= watermark
        const due = Number.isFinite(watermark) ? Math.floor((watermark - lateness - size - offset) / slide) * slide + offset : Infinity;
        if (due <= m.firedUpTo || panes.size === 0) return;
        const starts = new Set<number>();
        for (const ps of panes.keys()) {
          for (let s = g.firstStart(ps); s <= ps && s <= due; s += slide) if (s > m.firedUpTo) starts.add(s);
        }
        const ordered = [...starts].sort((a, b) => a - b);
        for (const start of ordered) {
          const end = start + size;
          if (tumbling) {
            panes.get(start)!.forEach((entry, k) => emit(out, k, start, end, entry[1]));
            continue;
          }
          // a key found in one pane is emitted from that pane's accumulator; a copy is made only to merge a
          // second one (forEach, not for-of, so no [key, value] pair is allocated per entry)
          const merged = new Map<Key | null, PaneEntry>();
          const copied = new Set<Key | null>();
          for (let ps = start; ps < end; ps += pane) {
            panes.get(ps)?.forEach((entry, k) => {
              const cur = merged.get(k);
              if (!cur) {
                merged.set(k, entry);
                return;
              }
              let target = cur;
              if (!copied.has(k)) {
                const copy = agg.create();
                agg.merge(copy, cur[1]);
                target = [cur[0], copy];
                merged.set(k, target);
                copied.add(k);
              }
              agg.merge(target[1], entry[1]);
              if (entry[0] < target[0]) target[0] = entry[0];
            });
          }
          // emit in order of first arrival; pane order usually is that order already, so sort only when needed
          const ks: (Key | null)[] = [];
          const es: PaneEntry[] = [];
          merged.forEach((e, k) => {
            ks.push(k);
            es.push(e);
          });
          let inOrder = true;
          for (let i = 1; i < es.length && inOrder; i++) inOrder = es[i - 1]![0] <= es[i]![0];
          if (inOrder) for (let i = 0; i < ks.length; i++) emit(out, ks[i]!, start, end, es[i]![1]);
          else for (const i of ks.map((_, j) => j).sort((x, y) => es[x]![0] - es[y]![0])) emit(out, ks[i]!, start, end, es[i]![1]);
        }
        if (ordered.length > 0) m.firedUpTo = Math.max(m.firedUpTo, ordered[ordered.length - 1]!);
        // a pane is done once its newest window emitted
        for (const ps of [...panes.keys()]) if (g.lastStart(ps) <= m.firedUpTo && g.lastEnd(ps) + lateness <= watermark) panes.delete(ps);
      },
      outputWatermark: (w) => w - lateness,
    };

    function emit(out: { push(v: unknown, ts: number, k: Key | null): void }, key: Key | null, start: number, end: number, acc: Accumulator): void {
      out.push(agg.windowed(key, start, end, acc), end - 1, key);
    }
  },
});
