/**
 * The synthetic world in closed form: Q of a version from the surface's
 * expected metrics, and the exhaustive grid search over the factors' ladders
 * that the loop (tests) and the gym's agents (maasflow gym) are judged
 * against. Also the deliberately poor version everything starts from.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateParams } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { evaluate, type Evaluation } from '../manager/objective.ts';
import { gridPoints, type Factor } from '../manager/search-space.ts';
import type { Goal } from '../types.ts';
import { expectedMetrics } from './surface.ts';

/** `npm start`'s starting version: one memory, recency only, one keyword, the smallest budget, a picky Archivist. */
export const POOR_PARAMS_FILE = fileURLToPath(new URL('../../config/params-poor.json', import.meta.url));

export function poorParams(): MaasParams {
  const json = JSON.parse(fs.readFileSync(POOR_PARAMS_FILE, 'utf8')) as { params?: unknown };
  return validateParams(json.params ?? {}, POOR_PARAMS_FILE);
}

export type GoalSpec = Omit<Goal, 'updated_at'>;

/** Q and feasibility of a version by the surface's expected metrics. */
export function expectedEvaluation(goal: GoalSpec, params: MaasParams): Evaluation {
  return evaluate({ ...goal, updated_at: 0 }, expectedMetrics(params));
}

/** The best feasible expected Q over every combination of the factors' ladders on top of `base`. */
export function gridBest(goal: GoalSpec, base: MaasParams, factors: readonly Factor[] = goal.allowed_factors): { q: number; params: MaasParams; points: number } {
  let best: { q: number; params: MaasParams } = { q: -Infinity, params: base };
  let points = 0;
  for (const p of gridPoints(base, factors)) {
    points++;
    const e = expectedEvaluation(goal, p);
    if (e.feasible && e.q !== null && e.q > best.q) best = { q: e.q, params: p };
  }
  return { ...best, points };
}
