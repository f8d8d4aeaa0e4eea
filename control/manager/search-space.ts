/**
 * The values the Manager tries for each impact factor: a ladder per factor
 * within its docs/IMPACTS.md range, denser where the factor matters most.
 * Moves go up or down a ladder by whole steps; the exhaustive grid search
 * the loop is judged against runs over the same ladders.
 */
import { SYSTEM_PROMPT_VERSIONS } from '../../models/builtin/responder.ts';
import type { MaasParams } from '../../operators/maas/types.ts';

export type Factor = keyof MaasParams;
export type Level = number | string;

export const LADDERS: Readonly<Record<Factor, readonly Level[]>> = {
  top_k: [1, 2, 3, 5, 8, 12, 20, 35, 50],
  relevance_weight: [0, 0.25, 0.5, 0.75, 1],
  recency_weight: [0, 0.25, 0.5, 0.75, 1],
  keyword_count: [1, 2, 3, 5, 7, 10, 14, 20],
  token_budget: [64, 128, 256, 512, 1024, 2048, 4096, 8192],
  system_prompt_version: SYSTEM_PROMPT_VERSIONS,
  temperature: [0, 0.25, 0.5, 1, 1.5, 2],
  archivist_min_importance: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  archivist_max_per_message: [0, 1, 2, 3, 4, 5, 6, 8, 10],
};

/** Index of the ladder level nearest to `value` (an enum value: its position). */
export function ladderIndex(factor: Factor, value: Level): number {
  const ladder = LADDERS[factor];
  if (typeof value === 'string') return Math.max(0, ladder.indexOf(value));
  let best = 0;
  ladder.forEach((l, i) => {
    if (Math.abs((l as number) - value) < Math.abs((ladder[best] as number) - value)) best = i;
  });
  return best;
}

/** The level `steps` rungs from the current value (null past either end, or when it is the current level). */
export function move(factor: Factor, value: Level, steps: number): Level | null {
  const ladder = LADDERS[factor];
  const i = ladderIndex(factor, value) + steps;
  if (i < 0 || i >= ladder.length) return null;
  const level = ladder[i]!;
  return level === value ? null : level;
}

/** Every combination of the factors' ladders on top of `base` (the grid search's points), in a fixed order. */
export function* gridPoints(base: MaasParams, factors: readonly Factor[]): Generator<MaasParams> {
  const idx = factors.map(() => 0);
  for (;;) {
    const p: Record<string, Level> = { ...base };
    factors.forEach((f, j) => (p[f] = LADDERS[f][idx[j]!]!));
    yield p as unknown as MaasParams;
    let j = factors.length - 1;
    while (j >= 0 && ++idx[j]! === LADDERS[factors[j]!].length) idx[j--] = 0;
    if (j < 0) return;
  }
}
