/**
 * Seeded A/A simulations (both arms from one distribution): Welch keeps its
 * nominal false-positive rate, and under peeking every 100 observations the
 * mSPRT's always-valid p-value stays at or below alpha while a naive t-test
 * repeated at each look (stop at the first p < 0.05) does not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { msprt, welch } from '../../../operators/stats/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { normals } from './fixtures/reference.ts';

const EXPERIMENTS = 1000;
const ALPHA = 0.05;

test('Welch at alpha 0.05: false-positive rate in [0.03, 0.07] over 1000 A/A experiments (normal and skewed data)', () => {
  const rng = new SplitMix32(1);
  let normal = 0;
  let skewed = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    if (welch(normals(rng, 100, 5, 2), normals(rng, 120, 5, 2)).pValue < ALPHA) normal++;
    const a = normals(rng, 200).map(Math.exp);
    const b = normals(rng, 200).map(Math.exp);
    if (welch(a, b).pValue < ALPHA) skewed++;
  }
  assert.ok(normal / EXPERIMENTS >= 0.03 && normal / EXPERIMENTS <= 0.07, `normal: ${normal / EXPERIMENTS}`);
  assert.ok(skewed / EXPERIMENTS >= 0.03 && skewed / EXPERIMENTS <= 0.07, `lognormal: ${skewed / EXPERIMENTS}`);
});

test('peeking every 100 up to 2000 per arm: mSPRT false-positive rate <= 0.05, a repeated t-test is far above', () => {
  const rng = new SplitMix32(2);
  const n = 2000;
  const every = 100;
  let msprtHits = 0;
  let naiveHits = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const a = normals(rng, n, 1, 1);
    const b = normals(rng, n, 1, 1);
    if (msprt(a, b, { tau2: 0.01, alpha: ALPHA, every, minPerArm: every }).rejected) msprtHits++;
    for (let look = every; look <= n; look += every) {
      if (welch(a.subarray(0, look), b.subarray(0, look)).pValue < ALPHA) {
        naiveHits++;
        break;
      }
    }
  }
  const msprtRate = msprtHits / EXPERIMENTS;
  const naiveRate = naiveHits / EXPERIMENTS;
  assert.ok(msprtRate <= ALPHA, `mSPRT false-positive rate ${msprtRate}`);
  assert.ok(naiveRate >= 0.12, `naive peeking false-positive rate ${naiveRate} (expected about 0.2 with 20 looks)`);
});

test.run();
