/** Morris elementary effects over the ladders: a dominant factor ranks first, seeds replay, and the synthetic surface's Q ranking (printed for docs). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMorris, morrisRanking } from '../../../control/gym/sensitivity-morris.ts';
import { DEFAULT_GOAL } from '../../../control/manager/goals.ts';
import { LADDERS, ladderIndex } from '../../../control/manager/search-space.ts';
import { expectedMetrics } from '../../../control/world/surface.ts';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';
import type { MaasParams } from '../../../operators/maas/types.ts';

const FACTORS = DEFAULT_GOAL.allowed_factors;
/** Normalised rung of a factor, 0..1. */
const x = (p: MaasParams, f: keyof MaasParams): number => ladderIndex(f, p[f]) / (LADDERS[f].length - 1);

test('a factor that dominates by construction ranks first, with the shares summing to 1', () => {
  // recall: 10 × top_k's rung, plus small keyword and interaction terms; latency: keyword_count only
  const model = (p: MaasParams) => ({ recall_at_k: 10 * x(p, 'top_k') + 0.5 * x(p, 'keyword_count') + 0.2 * x(p, 'token_budget') * x(p, 'relevance_weight'), latency_p50_ms: 3 * x(p, 'keyword_count') });
  const [recall, latency] = morrisRanking(model, { base: DEFAULT_PARAMS, factors: FACTORS, seed: 4, trajectories: 20 });
  assert.is(recall!.metric, 'recall_at_k');
  assert.is(recall!.factors[0]!.factor, 'top_k');
  assert.ok(Math.abs(recall!.factors[0]!.effect - 10) < 1e-9, 'a linear factor has μ* = its slope');
  assert.ok(recall!.factors[0]!.sigma < 1e-9, 'and no spread');
  assert.ok(Math.abs(recall!.factors.reduce((s, f) => s + f.share, 0) - 1) < 1e-12);
  assert.equal(recall!.factors.find((f) => f.factor === 'system_prompt_version')!.effect, 0);
  assert.is(latency!.factors[0]!.factor, 'keyword_count');
  assert.is(latency!.factors[0]!.share, 1);
});

test('same seed, same ranking; another seed, other trajectories', () => {
  const run = (seed: number) => morrisRanking(expectedMetrics, { base: DEFAULT_PARAMS, factors: FACTORS, seed, trajectories: 30, goal: DEFAULT_GOAL });
  assert.equal(run(9), run(9));
  assert.not.equal(run(9)[0]!.factors, run(10)[0]!.factors);
});

test('on the synthetic surface: Q ranked first; latency and tokens are moved by top_k and token_budget, never by the ranking mix', () => {
  const rankings = morrisRanking(expectedMetrics, { base: DEFAULT_PARAMS, factors: FACTORS, seed: 1, goal: DEFAULT_GOAL });
  assert.is(rankings[0]!.metric, 'q');
  const tokens = rankings.find((r) => r.metric === 'tokens_per_run')!;
  assert.equal(tokens.factors.slice(0, 2).map((f) => f.factor).sort(), ['token_budget', 'top_k']);
  assert.is(tokens.factors.find((f) => f.factor === 'relevance_weight')!.effect, 0);
  console.log(formatMorris(rankings[0]!).join('\n')); // for docs/CONTROL.md
});

test.run();
