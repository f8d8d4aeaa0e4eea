/**
 * Welch t-test against scipy.stats.ttest_ind(equal_var=False): p-values to
 * 1e-9 absolute and relative, t / df / diff / se to 1e-9; the CI bounds to
 * 1e-8, as they carry scipy's t.ppf error (see distributions.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { welch } from '../../../operators/stats/index.ts';
import { close, closeBoth, dataset, reference } from './fixtures/reference.ts';

test('t, df, p-value, difference and CI match scipy for every dataset and alternative', () => {
  const cases = reference().welch;
  assert.ok(cases.length >= 50);
  for (const c of cases) {
    const { a, b } = dataset(c.dataset);
    const r = welch(Float64Array.from(a), b, { alternative: c.alternative, confidence: c.confidence });
    const what = `${c.dataset} ${c.alternative} ${c.confidence}`;
    closeBoth(r.pValue, c.pValue, 1e-9, `${what} p`);
    close(r.t, c.t, 1e-9, `${what} t`);
    close(r.df, c.df, 1e-9, `${what} df`);
    close(r.diff, c.diff, 1e-9, `${what} diff`);
    close(r.se, c.se, 1e-9, `${what} se`);
    close(r.ci[0], c.ci[0] ?? Number.NEGATIVE_INFINITY, 1e-8, `${what} ci low`);
    close(r.ci[1], c.ci[1] ?? Number.POSITIVE_INFINITY, 1e-8, `${what} ci high`);
    assert.is(r.alternative, c.alternative);
    assert.is(r.nA, a.length);
  }
});

test('plain arrays and typed arrays give the same result; the CI excludes 0 exactly when p < 1 - confidence', () => {
  const { a, b } = dataset('unequal_var');
  assert.equal(welch(a, b), welch(Float64Array.from(a), Float64Array.from(b)));
  for (const name of ['small', 'unequal_var', 'strong', 'aa_large', 'binary']) {
    const d = dataset(name);
    const r = welch(d.a, d.b, { confidence: 0.95 });
    assert.is(r.pValue < 0.05, r.ci[0] > 0 || r.ci[1] < 0, name);
  }
});

test('constant samples follow scipy: df 1, t = ±Infinity (p = 0) or NaN when the means are equal', () => {
  const r = welch([1, 1, 1], [2, 2]);
  assert.is(r.t, Number.NEGATIVE_INFINITY);
  assert.is(r.df, 1);
  assert.is(r.pValue, 0);
  assert.ok(Number.isNaN(welch([3, 3], [3, 3, 3]).pValue));
});

test.run();
