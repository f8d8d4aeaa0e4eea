import type { Key } from '../../engine/batch.ts';
import { compileExpression, type CompiledExpression } from '../../engine/expression/index.ts';
import { RECORD_VARIABLES, type ExpressionSite } from '../definition.ts';

/**
 * Aggregation functions of `aggregate`, `window` and `sessionWindow`.
 * An accumulator is a flat array: each aggregation owns one or two slots.
 * first/last order by event time (ties: first keeps the earliest arrival,
 * last the latest); maxBy/minBy keep the value with the extreme `expr`
 * (ties: the earliest arrival), returning `value` (default: the record value).
 */
export type AggregationFn = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'first' | 'last' | 'maxBy' | 'minBy';

export interface AggregationSpec { fn: AggregationFn; expr?: string; value?: string }

export const AGGREGATION_FNS: readonly AggregationFn[] = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'maxBy', 'minBy'];

export const aggregationsSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['fn'],
    properties: { fn: { enum: AGGREGATION_FNS }, expr: { type: 'string' }, value: { type: 'string' } },
    if: { properties: { fn: { enum: ['sum', 'min', 'max', 'avg', 'maxBy', 'minBy'] } } },
    then: { required: ['fn', 'expr'] },
  },
} as const;

export type Accumulator = unknown[];

export interface Aggregator {
  create(): Accumulator;
  add(acc: Accumulator, value: unknown, key: Key | null, ts: number): void;
  /** Folds `b` into `a` (session windows merge). */
  merge(a: Accumulator, b: Accumulator): void;
  /** Writes each aggregation's result into `target` under its name. */
  result(acc: Accumulator, target: Record<string, unknown>): void;
}

interface Slot {
  name: string;
  fn: AggregationFn;
  at: number;
  expr: CompiledExpression | null;
  keep: CompiledExpression | null;
}

export function aggregationSites(aggs: Record<string, AggregationSpec>, base = 'aggregations'): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  for (const [name, spec] of Object.entries(aggs)) {
    if (spec.expr !== undefined) sites.push({ path: `${base}/${name}/expr`, expr: spec.expr, variables: RECORD_VARIABLES });
    if (spec.value !== undefined) sites.push({ path: `${base}/${name}/value`, expr: spec.value, variables: RECORD_VARIABLES });
  }
  return sites;
}

const WIDTH: Record<AggregationFn, number> = { count: 1, sum: 1, min: 1, max: 1, avg: 2, first: 2, last: 2, maxBy: 2, minBy: 2 };

export function compileAggregations(aggs: Record<string, AggregationSpec>): Aggregator {
  const slots: Slot[] = [];
  let width = 0;
  for (const [name, spec] of Object.entries(aggs)) {
    const expr = spec.expr !== undefined ? compileExpression(spec.expr, { variables: RECORD_VARIABLES }) : null;
    const keep = spec.value !== undefined ? compileExpression(spec.value, { variables: RECORD_VARIABLES }) : null;
    slots.push({ name, fn: spec.fn, at: width, expr, keep });
    width += WIDTH[spec.fn];
  }

  const create = (): Accumulator => {
    const acc = new Array<unknown>(width);
    for (const s of slots) {
      switch (s.fn) {
        case 'count': case 'sum': acc[s.at] = 0; break;
        case 'min': acc[s.at] = Infinity; break;
        case 'max': acc[s.at] = -Infinity; break;
        case 'avg': acc[s.at] = 0; acc[s.at + 1] = 0; break;
        case 'first': acc[s.at] = Infinity; acc[s.at + 1] = null; break;
        case 'last': acc[s.at] = -Infinity; acc[s.at + 1] = null; break;
        case 'maxBy': acc[s.at] = -Infinity; acc[s.at + 1] = null; break;
        case 'minBy': acc[s.at] = Infinity; acc[s.at + 1] = null; break;
      }
    }
    return acc;
  };

  const add = (acc: Accumulator, value: unknown, key: Key | null, ts: number): void => {
    for (let j = 0; j < slots.length; j++) {
      const s = slots[j]!;
      const at = s.at;
      switch (s.fn) {
        case 'count': (acc[at] as number)++; break;
        case 'sum': acc[at] = (acc[at] as number) + Number(s.expr!(value, key, ts)); break;
        case 'min': { const x = Number(s.expr!(value, key, ts)); if (x < (acc[at] as number)) acc[at] = x; break; }
        case 'max': { const x = Number(s.expr!(value, key, ts)); if (x > (acc[at] as number)) acc[at] = x; break; }
        case 'avg': acc[at] = (acc[at] as number) + Number(s.expr!(value, key, ts)); (acc[at + 1] as number)++; break;
        case 'first': if (ts < (acc[at] as number)) { acc[at] = ts; acc[at + 1] = pick(s, value, key, ts); } break;
        case 'last': if (ts >= (acc[at] as number)) { acc[at] = ts; acc[at + 1] = pick(s, value, key, ts); } break;
        case 'maxBy': { const x = Number(s.expr!(value, key, ts)); if (x > (acc[at] as number)) { acc[at] = x; acc[at + 1] = pick(s, value, key, ts); } break; }
        case 'minBy': { const x = Number(s.expr!(value, key, ts)); if (x < (acc[at] as number)) { acc[at] = x; acc[at + 1] = pick(s, value, key, ts); } break; }
      }
    }
  };

  const merge = (a: Accumulator, b: Accumulator): void => {
    for (const s of slots) {
      const at = s.at;
      switch (s.fn) {
        case 'count': case 'sum': a[at] = (a[at] as number) + (b[at] as number); break;
        case 'min': a[at] = Math.min(a[at] as number, b[at] as number); break;
        case 'max': a[at] = Math.max(a[at] as number, b[at] as number); break;
        case 'avg': a[at] = (a[at] as number) + (b[at] as number); a[at + 1] = (a[at + 1] as number) + (b[at + 1] as number); break;
        case 'first': case 'minBy': if ((b[at] as number) < (a[at] as number)) { a[at] = b[at]; a[at + 1] = b[at + 1]; } break;
        case 'last': if ((b[at] as number) >= (a[at] as number)) { a[at] = b[at]; a[at + 1] = b[at + 1]; } break;
        case 'maxBy': if ((b[at] as number) > (a[at] as number)) { a[at] = b[at]; a[at + 1] = b[at + 1]; } break;
      }
    }
  };

  const result = (acc: Accumulator, target: Record<string, unknown>): void => {
    for (const s of slots) {
      const at = s.at;
      switch (s.fn) {
        case 'count': case 'sum': target[s.name] = acc[at]; break;
        case 'min': case 'max': target[s.name] = Number.isFinite(acc[at] as number) ? acc[at] : null; break;
        case 'avg': target[s.name] = (acc[at + 1] as number) > 0 ? (acc[at] as number) / (acc[at + 1] as number) : null; break;
        default: target[s.name] = acc[at + 1];
      }
    }
  };

  return { create, add, merge, result };
}

function pick(s: Slot, value: unknown, key: Key | null, ts: number): unknown {
  return s.keep ? s.keep(value, key, ts) : value;
}
