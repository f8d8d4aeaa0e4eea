/** CUPED against the numpy formula in scripts/stats-reference.py. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cuped, cupedArms, welch } from '../../../operators/stats/index.ts';
import { close, closeArray, dataset, reference } from './fixtures/reference.ts';

test('theta, adjusted values and variance reduction match numpy to 1e-9 (one sample and two pooled arms)', () => {
  for (const c of reference().cuped) {
    const d = dataset(c.dataset);
    const one = cuped(d.a, d.xa!);
    close(one.theta, c.single.theta, 1e-9, `${c.dataset} theta`);
    close(one.varianceBefore, c.single.varianceBefore, 1e-9, `${c.dataset} var before`);
    close(one.varianceAfter, c.single.varianceAfter, 1e-9, `${c.dataset} var after`);
    close(one.varianceReduction, c.single.varianceReduction, 1e-9, `${c.dataset} reduction`);
    closeArray(one.adjusted, c.single.adjusted, 1e-9, `${c.dataset} adjusted`);
    const two = cupedArms({ y: d.a, x: d.xa! }, { y: d.b, x: d.xb! });
    for (const k of ['theta', 'xMean', 'diffBefore', 'diffAfter', 'varianceBefore', 'varianceAfter', 'varianceReduction'] as const) close(two[k], c.arms[k], 1e-9, `${c.dataset} arms ${k}`);
    closeArray(two.adjustedA, c.arms.adjustedA, 1e-9, `${c.dataset} adjustedA`);
    closeArray(two.adjustedB, c.arms.adjustedB, 1e-9, `${c.dataset} adjustedB`);
  }
});

test('a strong covariate shrinks the variance by about rho² and tightens the Welch interval', () => {
  const d = dataset('cuped_strong');
  const r = cupedArms({ y: d.a, x: d.xa! }, { y: d.b, x: d.xb! });
  assert.ok(r.varianceReduction > 0.5, String(r.varianceReduction));
  const before = welch(d.a, d.b);
  const after = welch(r.adjustedA, r.adjustedB);
  assert.ok(after.ci[1] - after.ci[0] < 0.75 * (before.ci[1] - before.ci[0]));
  // a covariate unrelated to y changes almost nothing
  const weak = dataset('cuped_weak');
  assert.ok(cupedArms({ y: weak.a, x: weak.xa! }, { y: weak.b, x: weak.xb! }).varianceReduction < 0.3);
});

test.run();
