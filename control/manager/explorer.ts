/**
 * The Manager's search over parameter versions: a pattern search on the
 * factor ladders (search-space.ts). An exploration experiment tries, for each
 * allowed factor, one move up and one move down its ladder by that factor's
 * current step. Factors can block each other (more memories do nothing while
 * the token budget holds one), so the variants left over try pairs of the
 * factors that moved nothing last time, both up one rung together.
 *
 * Reading it: the improving arms are taken greedily by Q, one per factor
 * (a pair takes both of its factors). A factor whose own move was taken
 * doubles its step (up to MAX_STEP: far from the optimum, bigger strides);
 * one that no arm improved halves it and becomes a pair candidate. The moves
 * taken are combined into one candidate, which must beat the best single move
 * in a confirmation experiment before it is adopted. Deep cycles explore with
 * twice the steps and rank the factors' sensitivity from the same arms.
 */
import type { MaasParams } from '../../operators/maas/types.ts';
import type { ArmOutcome } from '../types.ts';
import { LADDERS, move, type Factor, type Level } from './search-space.ts';

/** A variant arm: its name, its changes and the factors it moves (one, or two for a pair; none for combinations). */
export interface ArmPlan {
  name: string;
  changes: Partial<MaasParams>;
  factors: Factor[];
  /** Rungs moved (signed) for a one-factor arm; 0 otherwise. */
  steps: number;
}

/** Step per factor, in ladder rungs (starts at 2, halves down to 1 when neither direction helps). */
export type Steps = Partial<Record<Factor, number>>;

export const INITIAL_STEP = 2;
export const MAX_STEP = 4;

/**
 * Exploration arms: for each factor (in `order`) its moves of ±step (×scale),
 * then pairs of the `stuck` factors moved up one rung together, up to
 * `maxVariants` arms in all.
 */
export function explorationArms(active: MaasParams, factors: readonly Factor[], steps: Steps, maxVariants: number, scale = 1, stuck: readonly Factor[] = []): ArmPlan[] {
  const arms: ArmPlan[] = [];
  for (const f of factors) {
    const step = Math.max(1, Math.round((steps[f] ?? INITIAL_STEP) * scale));
    for (const dir of typeof active[f] === 'string' ? [1] : [1, -1]) {
      const to = typeof active[f] === 'string' ? otherLevel(f, active[f] as string) : move(f, active[f], dir * step);
      if (to === null || arms.length >= maxVariants) continue;
      arms.push({ name: armName(f, to), changes: { [f]: to } as Partial<MaasParams>, factors: [f], steps: dir * step });
    }
  }
  const numeric = stuck.filter((f) => factors.includes(f) && typeof active[f] === 'number');
  for (let i = 0; i < numeric.length; i++) {
    for (let j = i + 1; j < numeric.length; j++) {
      const [a, b] = [numeric[i]!, numeric[j]!];
      const toA = move(a, active[a], 1);
      const toB = move(b, active[b], 1);
      if (toA === null || toB === null || arms.length >= maxVariants) continue;
      arms.push({ name: `${armName(a, toA)}--${armName(b, toB)}`, changes: { [a]: toA, [b]: toB } as Partial<MaasParams>, factors: [a, b], steps: 0 });
    }
  }
  return arms;
}

/** The next enum level (wrapping): a 2-level factor is tried as its other level. */
function otherLevel(f: Factor, current: string): Level | null {
  const ladder = LADDERS[f];
  if (ladder.length < 2) return null;
  return ladder[(ladder.indexOf(current) + 1) % ladder.length]!;
}

export const armName = (f: Factor, to: Level): string => `${f.replace(/_/g, '-')}-${String(to).replace(/[^A-Za-z0-9]/g, '_')}`;

export interface ExplorationOutcome {
  /** The arms taken: each beat the baseline by more than minGain; no two share a factor. */
  moves: ArmPlan[];
  steps: Steps;
  /** Factors no arm improved: the next exploration pairs them. */
  stuck: Factor[];
}

export function readExploration(arms: readonly ArmPlan[], outcomes: ReadonlyMap<string, ArmOutcome>, baseline: ArmOutcome, steps: Steps, minGain: number): ExplorationOutcome {
  const bar = qToBeat(baseline, minGain);
  const improving = arms
    .map((arm) => ({ arm, out: outcomes.get(arm.name) }))
    .filter((t) => t.out?.feasible && t.out.q !== null && t.out.q > bar)
    .sort((x, y) => y.out!.q! - x.out!.q! || x.arm.name.localeCompare(y.arm.name));
  const moves: ArmPlan[] = [];
  const taken = new Set<Factor>();
  for (const { arm } of improving) {
    if (arm.factors.some((f) => taken.has(f))) continue;
    moves.push(arm);
    arm.factors.forEach((f) => taken.add(f));
  }
  const next: Steps = { ...steps };
  const explored = [...new Set(arms.flatMap((a) => a.factors))];
  const improved = new Set(improving.flatMap((t) => t.arm.factors));
  for (const f of explored) {
    const own = moves.find((m) => m.factors.length === 1 && m.factors[0] === f);
    if (own) next[f] = Math.min(MAX_STEP, Math.abs(own.steps) * 2);
    else if (!improved.has(f)) next[f] = Math.max(1, Math.floor((steps[f] ?? INITIAL_STEP) / 2));
  }
  return { moves, steps: next, stuck: explored.filter((f) => !improved.has(f)) };
}

/**
 * The Q a feasible arm must pass to count as better than `baseline`: its Q
 * plus `gain`, or nothing at all when the baseline breaks a constraint (or
 * has no Q): restoring feasibility comes first, so every feasible arm is
 * better than an infeasible active version.
 */
export function qToBeat(baseline: ArmOutcome, gain: number): number {
  return baseline.feasible && baseline.q !== null ? baseline.q + gain : Number.NEGATIVE_INFINITY;
}

/** The moves combined into one change set (their factors are distinct). */
export function combine(moves: readonly ArmPlan[]): Partial<MaasParams> {
  return Object.assign({}, ...moves.map((m) => m.changes)) as Partial<MaasParams>;
}
