/**
 * Morris elementary effects over the factors' ladders: a cheap global
 * screening of which factor moves which metric, for any model params →
 * figures (the synthetic surface's expectedMetrics, a fitted model).
 *
 * Each seeded trajectory starts at a random rung of every ladder and moves
 * the factors one at a time, in a random order, by Δ = ⌊(L − 1) / 2⌋ rungs
 * (up when it fits, else down), L the ladder's length. A rung's position is
 * normalised to [0, 1] (index / (L − 1)), so an elementary effect
 * EE = (f(after) − f(before)) / (Δ / (L − 1)) is comparable across ladders
 * of different lengths. Per metric and factor: μ* = mean |EE| (the ranking),
 * μ = mean EE (sign: monotone or not), σ = sample SD of EE (interactions or
 * curvature), share = μ* / Σ μ*.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { evaluate, type Figures } from '../manager/objective.ts';
import { LADDERS, type Factor, type Level } from '../manager/search-space.ts';
import type { MetricName } from '../teacher/catalogue.ts';
import type { Goal, SensitivityRanking } from '../types.ts';

export interface MorrisFactor {
  factor: string;
  /** μ*: mean |EE| (the `effect` of SensitivityRanking). */
  effect: number;
  share: number;
  mu: number;
  sigma: number;
  /** Elementary effects with data (both points had a value). */
  n: number;
}

export interface MorrisRanking extends SensitivityRanking {
  factors: MorrisFactor[];
}

export interface MorrisOptions {
  /** Values of the factors not screened. */
  base: MaasParams;
  factors: readonly Factor[];
  seed: number;
  /** Trajectories (default 100): each costs factors + 1 evaluations. */
  trajectories?: number;
  /** Metrics to rank (default: every metric the model gave numbers for, in its order). */
  metrics?: readonly MetricName[];
  /** Also rank Q of this goal (metric `q`, first in the result). */
  goal?: Omit<Goal, 'updated_at'>;
}

type Point = Record<string, Level>;

/** The Morris ranking per metric (and Q first when a goal is given), factors by μ* descending, then name. */
export function morrisRanking(model: (p: MaasParams) => Figures, o: MorrisOptions): MorrisRanking[] {
  const r = o.trajectories ?? 100;
  if (!Number.isInteger(r) || r < 2) throw new MaasflowError('CONFIG', `morris: trajectories must be an integer ≥ 2, got ${r}`);
  if (o.factors.length === 0) throw new MaasflowError('CONFIG', 'morris: no factors to screen');
  const unknown = o.factors.filter((f) => !Object.hasOwn(LADDERS, f));
  if (unknown.length > 0) throw new MaasflowError('CONFIG', `morris: no ladder for ${unknown.join(', ')} (known: ${Object.keys(LADDERS).join(', ')})`);
  const rng = new SplitMix32(o.seed);
  const goal = o.goal ? { ...o.goal, updated_at: 0 } : null;
  const figures = (p: Point): Partial<Record<MetricName | 'q', number | null>> => {
    const f = model(p as unknown as MaasParams);
    return goal ? { ...f, q: evaluate(goal, f).q } : f;
  };
  const effects = new Map<string, Map<Factor, number[]>>();
  for (let t = 0; t < r; t++) {
    const idx = new Map(o.factors.map((f) => [f, rng.nextInt(LADDERS[f].length)]));
    const at = (): Point => {
      const p: Point = { ...o.base };
      for (const [f, i] of idx) p[f] = LADDERS[f][i]!;
      return p;
    };
    let before = figures(at());
    for (const f of shuffled(o.factors, rng)) {
      const len = LADDERS[f].length;
      if (len < 2) continue;
      const jump = Math.max(1, Math.floor((len - 1) / 2));
      const i = idx.get(f)!;
      const up = i + jump <= len - 1;
      idx.set(f, up ? i + jump : i - jump);
      const after = figures(at());
      const delta = (up ? jump : -jump) / (len - 1);
      for (const [m, a] of Object.entries(after)) {
        const b = before[m as MetricName | 'q'];
        if (a === null || a === undefined || b === null || b === undefined) continue;
        let byFactor = effects.get(m);
        if (!byFactor) effects.set(m, (byFactor = new Map()));
        const list = byFactor.get(f) ?? [];
        list.push((a - b) / delta);
        byFactor.set(f, list);
      }
      before = after;
    }
  }
  const wanted: string[] = [...(goal ? ['q'] : []), ...(o.metrics ?? [...effects.keys()].filter((m) => m !== 'q'))];
  return wanted.map((metric) => rank(metric as MetricName | 'q', effects.get(metric) ?? new Map(), o.factors));
}

function rank(metric: MetricName | 'q', byFactor: ReadonlyMap<Factor, number[]>, factors: readonly Factor[]): MorrisRanking {
  const rows = factors.map((factor) => {
    const ee = byFactor.get(factor) ?? [];
    const n = ee.length;
    const mu = n === 0 ? 0 : ee.reduce((s, e) => s + e, 0) / n;
    const effect = n === 0 ? 0 : ee.reduce((s, e) => s + Math.abs(e), 0) / n;
    const sigma = n < 2 ? 0 : Math.sqrt(ee.reduce((s, e) => s + (e - mu) ** 2, 0) / (n - 1));
    return { factor: factor as string, effect, share: 0, mu, sigma, n };
  });
  const total = rows.reduce((s, x) => s + x.effect, 0);
  for (const x of rows) x.share = total > 0 ? x.effect / total : 0;
  rows.sort((x, y) => y.effect - x.effect || x.factor.localeCompare(y.factor));
  return { metric, factors: rows };
}

function shuffled<T>(items: readonly T[], rng: SplitMix32): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A fixed-width table of one ranking (the CLI and docs print it). */
export function formatMorris(r: MorrisRanking): string[] {
  const lines = [`${r.metric === 'q' ? 'Q' : r.metric}`, `  ${'factor'.padEnd(24)}${'μ*'.padStart(10)}${'μ'.padStart(10)}${'σ'.padStart(10)}${'share'.padStart(9)}`];
  for (const f of r.factors) lines.push(`  ${f.factor.padEnd(24)}${fmt(f.effect)}${fmt(f.mu)}${fmt(f.sigma)}${(100 * f.share).toFixed(1).padStart(7)} %`);
  return lines;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4)).padStart(10);
