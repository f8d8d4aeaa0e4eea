/**
 * The Manager's search over parameter versions: a pattern search on the
 * factor ladders (search-space.ts). An exploration experiment tries, for each
 * allowed factor, one move up and one move down its ladder by that factor's
 * current step; every factor whose best move beat the baseline's Q keeps the
 * move and doubles its step (up to MAX_STEP: far from the optimum, bigger
 * strides), the others halve theirs. The moves that won are then
 * combined into one candidate, which must beat the best single move in a
 * confirmation experiment before it is adopted. Deep cycles explore with
 * twice the steps and rank the factors' sensitivity from the same arms.
 */
import type { MaasParams } from '../../operators/maas/types.ts';
import type { ArmOutcome } from '../types.ts';
import { LADDERS, move, type Factor, type Level } from './search-space.ts';

/** A variant arm: its name and its one-factor change (null for the baseline and combinations). */
export interface ArmPlan {
  name: string;
  changes: Partial<MaasParams>;
  factor: Factor | null;
  steps: number;
}

/** Step per factor, in ladder rungs (starts at 2, halves down to 1 when neither direction helps). */
export type Steps = Partial<Record<Factor, number>>;

export const INITIAL_STEP = 2;
export const MAX_STEP = 4;

/** Exploration arms: for each factor (in `order`), up to `maxVariants` moves of ±step (×scale). */
export function explorationArms(active: MaasParams, factors: readonly Factor[], steps: Steps, maxVariants: number, scale = 1): ArmPlan[] {
  const arms: ArmPlan[] = [];
  for (const f of factors) {
    const step = Math.max(1, Math.round((steps[f] ?? INITIAL_STEP) * scale));
    for (const dir of LADDERS[f].length <= 2 || typeof active[f] === 'string' ? [1] : [1, -1]) {
      const to = typeof active[f] === 'string' ? otherLevel(f, active[f] as string) : move(f, active[f], dir * step);
      if (to === null || arms.length >= maxVariants) continue;
      arms.push({ name: armName(f, to), changes: { [f]: to } as Partial<MaasParams>, factor: f, steps: dir * step });
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
  /** The winning move of each factor that beat the baseline by more than minGain. */
  moves: ArmPlan[];
  steps: Steps;
}

/**
 * Reads an exploration: per factor, the best feasible arm by Q; kept when it
 * beats the baseline by more than `minGain` (the step doubles), else the
 * step halves.
 */
export function readExploration(arms: readonly ArmPlan[], outcomes: ReadonlyMap<string, ArmOutcome>, baseline: ArmOutcome, steps: Steps, minGain: number): ExplorationOutcome {
  const next: Steps = { ...steps };
  const moves: ArmPlan[] = [];
  const factors = [...new Set(arms.map((a) => a.factor).filter((f): f is Factor => f !== null))];
  for (const f of factors) {
    const tried = arms.filter((a) => a.factor === f).map((a) => ({ arm: a, out: outcomes.get(a.name) })).filter((t) => t.out?.feasible && t.out.q !== null);
    const best = tried.sort((x, y) => y.out!.q! - x.out!.q!)[0];
    if (best && baseline.q !== null && best.out!.q! - baseline.q > minGain) {
      moves.push(best.arm);
      next[f] = Math.min(MAX_STEP, Math.abs(best.arm.steps) * 2);
    } else next[f] = Math.max(1, Math.floor((steps[f] ?? INITIAL_STEP) / 2));
  }
  return { moves, steps: next };
}

/** The moves combined into one change set (factors are distinct: one move per factor). */
export function combine(moves: readonly ArmPlan[]): Partial<MaasParams> {
  return Object.assign({}, ...moves.map((m) => m.changes)) as Partial<MaasParams>;
}
