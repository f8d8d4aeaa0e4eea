/** mSPRT always-valid p-values against the numpy formula in scripts/stats-reference.py. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { msprt } from '../../../operators/stats/index.ts';
import { closeArray, dataset, reference } from './fixtures/reference.ts';

test('looks and always-valid p-values match the numpy reference to 1e-9 (plug-in and known variance, unequal arms)', () => {
  for (const c of reference().msprt) {
    const { a, b } = dataset(c.dataset);
    const r = msprt(Float64Array.from(a), Float64Array.from(b), { tau2: c.tau2, alpha: c.alpha, every: c.every, minPerArm: c.minPerArm, ...(c.sigma2 === null ? {} : { sigma2: c.sigma2 }) });
    const what = `${c.dataset} tau2=${c.tau2} every=${c.every}`;
    assert.equal(Array.from(r.looks), c.looks, `${what} looks`);
    closeArray(r.pValues, c.pValues, 1e-9, `${what} p`);
    assert.is(r.rejectedAt, c.rejectedAt, `${what} rejectedAt`);
    assert.is(r.pValue, r.pValues[r.pValues.length - 1]);
  }
});

test('p-values never increase; an effect is caught, the A/A stream is not', () => {
  const effect = dataset('seq_strong');
  const r = msprt(effect.a, effect.b, { tau2: 0.05, every: 10 });
  for (let i = 1; i < r.pValues.length; i++) assert.ok(r.pValues[i]! <= r.pValues[i - 1]!);
  assert.ok(r.rejected);
  assert.ok(r.rejectedAt !== null && r.rejectedAt < 1000, String(r.rejectedAt));
  assert.ok(r.pValues[(r.rejectedAt - 10) / 10 - 1]! > 0.05);
  const aa = dataset('seq_aa');
  assert.not.ok(msprt(aa.a, aa.b, { tau2: 0.02, every: 10 }).rejected);
  // shifting the null by the true difference removes the effect
  const shifted = msprt(effect.a, effect.b, { tau2: 0.05, every: 10, theta0: -0.3 });
  assert.ok(shifted.pValue > r.pValue);
});

test('no look happens before minPerArm observations in both arms', () => {
  const r = msprt([1, 2, 3, 4, 5], [2, 3, 4, 5, 6, 7], { tau2: 1, minPerArm: 4 });
  assert.equal(Array.from(r.looks), [4, 5, 6]);
  assert.is(msprt([1, 2, 3], [1, 2, 3], { tau2: 1, minPerArm: 5 }).looks.length, 0);
  assert.is(msprt([1, 2, 3], [1, 2, 3], { tau2: 1, minPerArm: 5 }).pValue, 1);
});

test.run();
