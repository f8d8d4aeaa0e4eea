import type { Key } from '../../engine/batch.ts';
import { parseDuration, durationSchema, type Duration } from '../../engine/duration.ts';
import { compileExpression, compileObject, type CompiledExpression } from '../../engine/expression/index.ts';
import { defineOperator, RECORD_VARIABLES, type ExpressionSite } from '../definition.ts';
import { toKey } from './key-by.ts';
import { fmt, windowSpecSchema, type WindowSpec } from './window-assigner.ts';
import { windowGeometry } from './window-geometry.ts';

interface JoinParams {
  window: WindowSpec;
  allowedLateness?: Duration;
  leftKey?: string;
  rightKey?: string;
  select?: Record<string, string>;
}

/** Per window and key: left values, left times, right values, right times. */
type Pane = [unknown[], number[], unknown[], number[]];

const SELECT_VARIABLES = ['left', 'right', 'key', 'windowStart', 'windowEnd'] as const;

/**
 * join: windowed inner stream-stream join (Flink's window join). Records of
 * the left (input 0) and right (input 1) streams with equal keys in the same
 * window are paired when the window emits (watermark >= end + allowedLateness):
 * every left with every right, in arrival order. Keys come from the record
 * keys or from leftKey / rightKey. Late records go to `late`, counted.
 */
export const joinOperator = defineOperator<JoinParams>({
  type: 'join',
  summary: 'Windowed inner join of two keyed streams',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['window'],
    properties: {
      window: windowSpecSchema,
      allowedLateness: durationSchema,
      leftKey: { type: 'string' },
      rightKey: { type: 'string' },
      select: { type: 'object', minProperties: 1, additionalProperties: { type: 'string' } },
    },
  },
  inputs: { min: 2, max: 2, names: ['left', 'right'] },
  keyEffect: 'preserves',
  ports: () => ['out', 'late'],
  expressions(p) {
    const sites: ExpressionSite[] = [];
    if (p.leftKey) sites.push({ path: 'leftKey', expr: p.leftKey, variables: RECORD_VARIABLES });
    if (p.rightKey) sites.push({ path: 'rightKey', expr: p.rightKey, variables: RECORD_VARIABLES });
    for (const [name, expr] of Object.entries(p.select ?? {})) sites.push({ path: `select/${name}`, expr, variables: SELECT_VARIABLES });
    return sites;
  },
  check: (p) => windowGeometry(p.window).problems.map((q) => ({ path: `window/${q.path}`, message: q.message })),
  describe: (p) => ({
    window: `${windowGeometry(p.window).describe}, lateness ${fmt(parseDuration(p.allowedLateness ?? 0))}`,
    keyBy: p.leftKey || p.rightKey ? `left ${p.leftKey ?? 'key'} = right ${p.rightKey ?? 'key'}` : undefined,
  }),
  create(p, ctx) {
    const assigner = windowGeometry(p.window);
    const size = assigner.size;
    const lateness = parseDuration(p.allowedLateness ?? 0, 'allowedLateness');
    const keyOf: (CompiledExpression | null)[] = [
      p.leftKey ? compileExpression(p.leftKey, { variables: RECORD_VARIABLES }) : null,
      p.rightKey ? compileExpression(p.rightKey, { variables: RECORD_VARIABLES }) : null,
    ];
    const select = p.select ? compileObject(p.select, { variables: SELECT_VARIABLES }) : null;
    const panes = ctx.store<number, Map<Key | null, Pane>>('panes');
    const lateRecords = ctx.counter('late_records', 'records that arrived after one of their windows was emitted');

    return {
      process(batch, input, out, watermarkBefore) {
        const { values, timestamps, keys } = batch;
        const side = input === 0 ? 0 : 2;
        const keyExpr = keyOf[input === 0 ? 0 : 1];
        for (let i = 0; i < values.length; i++) {
          const value = values[i];
          const ts = timestamps[i]!;
          const recordKey = keys === null ? null : keys[i]!;
          const key = keyExpr ? toKey(keyExpr(value, recordKey, ts)) : recordKey;
          let missed = false;
          assigner.assign(ts, (start) => {
            if (start + size + lateness <= watermarkBefore) {
              missed = true;
              return;
            }
            let byKey = panes.get(start);
            if (!byKey) panes.set(start, (byKey = new Map()));
            let pane = byKey.get(key);
            if (!pane) byKey.set(key, (pane = [[], [], [], []]));
            pane[side]!.push(value);
            (pane[side + 1] as number[]).push(ts);
          });
          if (missed) {
            lateRecords.inc();
            out.push(value, ts, key, 'late');
          }
        }
      },
      onWatermark(watermark, out) {
        const due: number[] = [];
        for (const start of panes.keys()) if (start + size + lateness <= watermark) due.push(start);
        due.sort((a, b) => a - b);
        for (const start of due) {
          const end = start + size;
          for (const [key, [lefts, , rights]] of panes.get(start)!) {
            for (const left of lefts) {
              for (const right of rights) {
                const value = select ? select(left, right, key, start, end) : { key, windowStart: start, windowEnd: end, left, right };
                out.push(value, end - 1, key);
              }
            }
          }
          panes.delete(start);
        }
      },
      outputWatermark: (w) => w - lateness,
    };
  },
});
