/**
 * Lookups over the QMPT data models: observations by pattern (in time order,
 * docs/QMPT.md §1), patterns by layer, a pattern's layer, and the
 * observations of a time window (t − window, t] (§6).
 *
 * Every grouping is canonical: keys in code-unit order and members sorted,
 * so the result does not depend on the order records arrived in.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { Observation, Pattern } from '../types.ts';

/** Code-unit order (not the locale's): the same on every machine. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Time order; equal timestamps by obs_id, so ties have one order too. */
export function compareObservations(a: Observation, b: Observation): number {
  return a.timestamp - b.timestamp || byString(a.obs_id, b.obs_id);
}

/** Sorted copy in time order (timestamp, then obs_id). */
export function sortObservations(obs: readonly Observation[]): Observation[] {
  return [...obs].sort(compareObservations);
}

function sortedGroups<T>(items: Iterable<T>, keyOf: (item: T) => string, compare: (a: T, b: T) => number): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const out = new Map<string, T[]>();
  for (const key of [...groups.keys()].sort(byString)) out.set(key, groups.get(key)!.sort(compare));
  return out;
}

/** pattern_id → its observations in time order (timestamp, then obs_id); pattern_ids in code-unit order. */
export function groupByPattern(obs: Iterable<Observation>): Map<string, Observation[]> {
  return sortedGroups(obs, (o) => o.pattern_id, compareObservations);
}

/** Patterns given as loadPatterns' Map or any iterable of patterns. */
export type PatternSource = ReadonlyMap<string, Pattern> | Iterable<Pattern>;

function patternsOf(patterns: PatternSource): Iterable<Pattern> {
  return patterns instanceof Map ? patterns.values() : (patterns as Iterable<Pattern>);
}

/** layer_id → its patterns by pattern_id; layer_ids in code-unit order. */
export function groupByLayer(patterns: PatternSource): Map<string, Pattern[]> {
  return sortedGroups(patternsOf(patterns), (p) => p.layer_id, (a, b) => byString(a.pattern_id, b.pattern_id));
}

/** pattern_id → layer_id; a pattern_id given twice with two layers is an error. */
export function layerIndex(patterns: PatternSource): Map<string, string> {
  const index = new Map<string, string>();
  for (const p of patternsOf(patterns)) {
    const known = index.get(p.pattern_id);
    if (known !== undefined && known !== p.layer_id) {
      throw new MaasflowError('RECORD_VALIDATE', `pattern ${JSON.stringify(p.pattern_id)} /layer_id: given in layers ${JSON.stringify(known)} and ${JSON.stringify(p.layer_id)}`);
    }
    index.set(p.pattern_id, p.layer_id);
  }
  return index;
}

/** The layer of an observation's pattern; an observation of an unknown pattern is an error naming it. */
export function layerOf(index: ReadonlyMap<string, string>, o: Observation): string {
  const layer = index.get(o.pattern_id);
  if (layer === undefined) throw new MaasflowError('RECORD_VALIDATE', `observation ${JSON.stringify(o.obs_id)} /pattern_id: no pattern ${JSON.stringify(o.pattern_id)} is known`);
  return layer;
}

/** layer_id → its observations in time order (the input of the layer metrics, §6). */
export function observationsByLayer(obs: Iterable<Observation>, patterns: PatternSource): Map<string, Observation[]> {
  const index = layerIndex(patterns);
  return sortedGroups(obs, (o) => layerOf(index, o), compareObservations);
}

/** First index i with sorted[i].timestamp > t (binary search). */
function firstAfter(sorted: readonly Observation[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.timestamp > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The observations with from < timestamp ≤ to, as a slice of `sorted`
 * (which must be in time order, as groupByPattern and observationsByLayer
 * give): the window (t − window, t] of docs/QMPT.md §6 is
 * observationsInWindow(sorted, t − window, t).
 */
export function observationsInWindow(sorted: readonly Observation[], from: number, to: number): Observation[] {
  if (!(from <= to)) throw new MaasflowError('RUNTIME', `observationsInWindow: from ${from} must not be after to ${to}`);
  return sorted.slice(firstAfter(sorted, from), firstAfter(sorted, to));
}
