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

export const WINDOW_RESULT_FIELDS = ['key', 'windowStart', 'windowEnd'] as const;

export interface Aggregator {
  create(): Accumulator;
  add(acc: Accumulator, value: unknown, key: Key | null, ts: number): void;
  /** Folds `b` into `a` (session windows merge). */
  merge(a: Accumulator, b: Accumulator): void;
  /** A new result object { key, ...aggregations }, built as one literal (one hidden class, no transitions). */
  keyed(key: Key | null, acc: Accumulator): Record<string, unknown>;
  /** A new result object { key, windowStart, windowEnd, ...aggregations }. */
  windowed(key: Key | null, start: number, end: number, acc: Accumulator): Record<string, unknown>;
}

interface Slot {
  name: string;
  fn: AggregationFn;
  at: number;
  expr: CompiledExpression | null;
  keep: CompiledExpression | null;
}

/** Aggregation names that would collide with the fields every result carries. */
export function reservedNameProblems(aggs: Record<string, AggregationSpec>, reserved: readonly string[], base = 'aggregations'): { path: string; message: string }[] {
  return Object.keys(aggs)
    .filter((name) => reserved.includes(name))
    .map((name) => ({ path: `${base}/${name}`, message: `aggregation name "${name}" is reserved: results already carry ${reserved.join(', ')}` }));
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

  const { add, merge, keyed, windowed } = generate(slots);

  return { create, add, merge, keyed, windowed };
}

/**
 * `add` and `merge` are generated as straight-line code for the slot layout:
 * no per-record loop over aggregations and no switch (this is the hot path
 * of every window). Expressions are passed in as functions, never inlined as text.
 */
function generate(slots: Slot[]): Pick<Aggregator, 'add' | 'merge' | 'keyed' | 'windowed'> {
  const exprs = slots.map((s) => s.expr);
  const keeps = slots.map((s) => s.keep);
  const addLines: string[] = [];
  const mergeLines: string[] = [];
  const resultLines: string[] = [];
  slots.forEach((s, j) => {
    const name = JSON.stringify(s.name);
    const at = s.at;
    if (s.fn === 'count' || s.fn === 'sum') resultLines.push(`${name}: acc[${at}]`);
    else if (s.fn === 'min' || s.fn === 'max') resultLines.push(`${name}: Number.isFinite(acc[${at}]) ? acc[${at}] : null`);
    else if (s.fn === 'avg') resultLines.push(`${name}: acc[${at + 1}] > 0 ? acc[${at}] / acc[${at + 1}] : null`);
    else resultLines.push(`${name}: acc[${at + 1}]`);
    const a = s.at;
    const b = a + 1;
    const x = `Number(e[${j}](value, key, ts))`;
    const pick = s.keep ? `k[${j}](value, key, ts)` : 'value';
    switch (s.fn) {
      case 'count': addLines.push(`acc[${a}]++;`); mergeLines.push(`a[${a}] += b[${a}];`); break;
      case 'sum': addLines.push(`acc[${a}] += ${x};`); mergeLines.push(`a[${a}] += b[${a}];`); break;
      case 'min': addLines.push(`{ const x = ${x}; if (x < acc[${a}]) acc[${a}] = x; }`); mergeLines.push(`if (b[${a}] < a[${a}]) a[${a}] = b[${a}];`); break;
      case 'max': addLines.push(`{ const x = ${x}; if (x > acc[${a}]) acc[${a}] = x; }`); mergeLines.push(`if (b[${a}] > a[${a}]) a[${a}] = b[${a}];`); break;
      case 'avg': addLines.push(`acc[${a}] += ${x}; acc[${b}]++;`); mergeLines.push(`a[${a}] += b[${a}]; a[${b}] += b[${b}];`); break;
      case 'first': addLines.push(`if (ts < acc[${a}]) { acc[${a}] = ts; acc[${b}] = ${pick}; }`); mergeLines.push(`if (b[${a}] < a[${a}]) { a[${a}] = b[${a}]; a[${b}] = b[${b}]; }`); break;
      case 'last': addLines.push(`if (ts >= acc[${a}]) { acc[${a}] = ts; acc[${b}] = ${pick}; }`); mergeLines.push(`if (b[${a}] >= a[${a}]) { a[${a}] = b[${a}]; a[${b}] = b[${b}]; }`); break;
      case 'maxBy': addLines.push(`{ const x = ${x}; if (x > acc[${a}]) { acc[${a}] = x; acc[${b}] = ${pick}; } }`); mergeLines.push(`if (b[${a}] > a[${a}]) { a[${a}] = b[${a}]; a[${b}] = b[${b}]; }`); break;
      case 'minBy': addLines.push(`{ const x = ${x}; if (x < acc[${a}]) { acc[${a}] = x; acc[${b}] = ${pick}; } }`); mergeLines.push(`if (b[${a}] < a[${a}]) { a[${a}] = b[${a}]; a[${b}] = b[${b}]; }`); break;
    }
  });
  const factory = new Function('e', 'k', `"use strict"; return [function add(acc, value, key, ts) {\n${addLines.join('\n')}\n}, function merge(a, b) {\n${mergeLines.join('\n')}\n}, function keyed(key, acc) {\nreturn { key, ${resultLines.join(', ')} };\n}, function windowed(key, windowStart, windowEnd, acc) {\nreturn { key, windowStart, windowEnd, ${resultLines.join(', ')} };\n}];`) as (
    e: (CompiledExpression | null)[],
    k: (CompiledExpression | null)[],
  ) => [Aggregator['add'], Aggregator['merge'], Aggregator['keyed'], Aggregator['windowed']];
  const [add, merge, keyed, windowed] = factory(exprs, keeps);
  return { add, merge, keyed, windowed };
}
