/**
 * Bootstrap of the difference of means: the resamples are the repo's
 * SplitMix32 draws (checked against the class and against the Python
 * re-implementation in scripts/stats-reference.py), the intervals match
 * numpy.percentile and scipy's own BCa code on those resamples, a seed
 * reproduces, and the interval covers the truth at about the nominal rate.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapChunks, bootstrapDiff, planBootstrap, quantile, summarizeBootstrap } from '../../../operators/stats/index.ts';
import { hashSeed, SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { close, closeArray, dataset, normals, reference } from './fixtures/reference.ts';

/** The definition, written with the SplitMix32 class. */
function naiveDiffs(a: Float64Array, b: Float64Array, seed: number, resamples: number, chunkSize: number): Float64Array {
  const out = new Float64Array(resamples);
  const rng = new SplitMix32(0);
  for (let r = 0; r < resamples; r++) {
    if (r % chunkSize === 0) rng.seed(hashSeed(seed, r / chunkSize));
    let sa = 0;
    for (let i = 0; i < a.length; i++) sa += a[rng.nextInt(a.length)]!;
    let sb = 0;
    for (let i = 0; i < b.length; i++) sb += b[rng.nextInt(b.length)]!;
    out[r] = sa / a.length - sb / b.length;
  }
  return out;
}

test('the inlined draws are SplitMix32.nextInt bit for bit, and any chunk range is a slice of the whole', () => {
  const d = dataset('exponential');
  const a = Float64Array.from(d.a);
  const b = Float64Array.from(d.b);
  const all = bootstrapChunks({ a, b, seed: 9, resamples: 1000, chunkSize: 64, from: 0, to: 16 });
  assert.equal(all, naiveDiffs(a, b, 9, 1000, 64));
  const part = bootstrapChunks({ a, b, seed: 9, resamples: 1000, chunkSize: 64, from: 5, to: 16 });
  assert.equal(part, all.slice(5 * 64));
  assert.equal(bootstrapChunks({ a, b, seed: 9, resamples: 1000, chunkSize: 64, from: 3, to: 4 }), all.slice(192, 256));
});

test('resamples equal the Python re-implementation; percentile and BCa intervals match numpy / scipy to 1e-9', () => {
  for (const c of reference().bootstrap) {
    const d = dataset(c.dataset);
    const r = bootstrapDiff(d.a, d.b, { seed: c.seed, resamples: c.resamples, chunkSize: c.chunkSize, confidence: c.confidence, method: 'bca' });
    const diffs = bootstrapChunks({ a: Float64Array.from(d.a), b: Float64Array.from(d.b), seed: c.seed, resamples: c.resamples, chunkSize: c.chunkSize, from: 0, to: Math.ceil(c.resamples / c.chunkSize) });
    assert.equal(Array.from(diffs.slice(0, 5)), c.head, `${c.dataset} first resamples (bit-identical)`);
    assert.equal(Array.from(diffs.slice(-3)), c.tail, `${c.dataset} last resamples (bit-identical)`);
    close(r.estimate, c.estimate, 1e-12, `${c.dataset} estimate`);
    close(r.se, c.se, 1e-9, `${c.dataset} se`);
    closeArray(r.percentile, c.percentile, 1e-9, `${c.dataset} percentile CI`);
    closeArray(r.bca, c.bca, 1e-9, `${c.dataset} BCa CI`);
    close(r.acceleration, c.acceleration, 1e-9, `${c.dataset} acceleration`);
    assert.equal(r.ci, r.bca);
  }
});

test('the same seed gives the same result; another seed or chunk size gives other draws', () => {
  const d = dataset('skewed');
  const one = bootstrapDiff(d.a, d.b, { seed: 123, resamples: 500 });
  assert.equal(bootstrapDiff(Float64Array.from(d.a), d.b, { seed: 123, resamples: 500 }), one);
  assert.is(one.method, 'percentile');
  assert.equal(one.ci, one.percentile);
  assert.is.not(bootstrapDiff(d.a, d.b, { seed: 124, resamples: 500 }).percentile[0], one.percentile[0]);
  assert.is.not(bootstrapDiff(d.a, d.b, { seed: 123, resamples: 500, chunkSize: 100 }).percentile[0], one.percentile[0]);
});

test('quantile is numpy.percentile(linear); degenerate data gives a NaN BCa interval, as scipy', () => {
  const x = Float64Array.from([1, 2, 4, 8]);
  assert.is(quantile(x, 0), 1);
  assert.is(quantile(x, 1), 8);
  assert.is(quantile(x, 0.5), 3);
  assert.is(quantile(x, 0.9), 6.800000000000001); // numpy's value, bit for bit
  const a = Float64Array.from([5, 5, 5]);
  const plan = planBootstrap('t', a, a, { seed: 1, resamples: 10 });
  const r = summarizeBootstrap(a, a, new Float64Array(10), plan);
  assert.equal(r.percentile, [0, 0]);
  assert.ok(Number.isNaN(r.bca[0]) && Number.isNaN(r.bca[1]));
});

test('the 90% percentile and BCa intervals cover the true difference at about the nominal rate (seeded simulation)', () => {
  const rng = new SplitMix32(2026);
  const runs = 300;
  let pct = 0;
  let bca = 0;
  for (let s = 0; s < runs; s++) {
    // exponential arms, means 1 and 1.2: skewed, so BCa has work to do
    const a = normals(rng, 40).map(() => -Math.log(1 - rng.nextDouble53()));
    const b = normals(rng, 50).map(() => -1.2 * Math.log(1 - rng.nextDouble53()));
    const r = bootstrapDiff(a, b, { seed: s, resamples: 1000, confidence: 0.9 });
    if (r.percentile[0] <= -0.2 && -0.2 <= r.percentile[1]) pct++;
    if (r.bca[0] <= -0.2 && -0.2 <= r.bca[1]) bca++;
  }
  assert.ok(pct / runs > 0.83 && pct / runs < 0.96, `percentile coverage ${pct / runs}`);
  assert.ok(bca / runs > 0.83 && bca / runs < 0.96, `BCa coverage ${bca / runs}`);
});

test.run();
