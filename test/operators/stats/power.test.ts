/** Power and sample size against statsmodels NormalIndPower / TTestIndPower. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { power, sampleSize } from '../../../operators/stats/index.ts';
import { close, reference } from './fixtures/reference.ts';

test('power matches statsmodels to 1e-8 (the t critical values carry scipy t.ppf error) over effect sizes, n, alpha, ratios and alternatives (normal and t)', () => {
  const cases = reference().power;
  assert.ok(cases.length > 400);
  for (const c of cases) {
    const p = power({ test: c.test, effectSize: c.effectSize, nobs1: c.nobs1, alpha: c.alpha, ratio: c.ratio, alternative: c.alternative });
    close(p, c.power, 1e-8, `${c.test} d=${c.effectSize} n=${c.nobs1} alpha=${c.alpha} ratio=${c.ratio} ${c.alternative}`);
  }
});

test('sample size matches the exact root of the statsmodels power function to 1e-8 (and solve_power to 1e-4)', () => {
  for (const c of reference().sampleSize) {
    const r = sampleSize({ test: c.test, effectSize: c.effectSize, power: c.power, alpha: c.alpha, ratio: c.ratio, alternative: c.alternative });
    const what = `${c.test} d=${c.effectSize} power=${c.power} alpha=${c.alpha} ratio=${c.ratio} ${c.alternative}`;
    close(r.nobs1, c.nobs1, 1e-8, what);
    close(r.nobs1, c.statsmodels, 1e-4, `${what} (statsmodels solve_power)`);
    assert.is(r.n1, Math.ceil(c.nobs1), what);
    assert.ok(r.achievedPower >= c.power - 1e-12, what);
  }
});

test('the textbook figure: d = 0.5, alpha 0.05, power 0.8 needs 64 per arm (t-test)', () => {
  const r = sampleSize({ effectSize: 0.5 });
  assert.is(r.n1, 64);
  assert.is(r.n2, 64);
  assert.ok(Math.abs(power({ effectSize: 0.5, nobs1: r.nobs1 }) - 0.8) < 1e-9);
  // a huge effect needs the minimum the search allows
  assert.is(sampleSize({ effectSize: 20 }).nobs1, 2);
});

test.run();
