/** k-means for the GMM initialisation: seeded, deterministic, and right on separated blobs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHUNK_ROWS, inlineExecutor, sumChunks } from '../../../../qmpt/metrics/density/executor.ts';
import { chunkedSum, columnMoments, kmeans, kmeansChunk, kmeansPlusPlus, KMEANS_COUNTS } from '../../../../qmpt/metrics/density/kmeans.ts';
import { Rng } from '../../../../qmpt/random.ts';
import { blobs, threeBlobs } from './blobs.ts';

const X = threeBlobs(11, 600);
const truth = [[0, 0], [8, 1], [2, 9]];

function nearestTruth(centers: Float64Array): number[] {
  return [0, 1, 2].map((c) => {
    let best = -1;
    let bestDist = Infinity;
    truth.forEach(([a, b], t) => {
      const dist = (centers[c * 2]! - a!) ** 2 + (centers[c * 2 + 1]! - b!) ** 2;
      if (dist < bestDist) [best, bestDist] = [t, dist];
    });
    assert.ok(bestDist < 0.1, `center ${c} is ${Math.sqrt(bestDist)} from the nearest true mean`);
    return best;
  });
}

test('k-means++ seeds k distinct rows of X, the same for the same seed', () => {
  const a = kmeansPlusPlus(X, 3, new Rng(5));
  assert.equal(a, kmeansPlusPlus(X, 3, new Rng(5)));
  assert.not.equal(a, kmeansPlusPlus(X, 3, new Rng(6)));
  const rows = new Set<string>();
  for (let c = 0; c < 3; c++) {
    const center = Array.from(a.subarray(c * 2, c * 2 + 2));
    let found = false;
    for (let i = 0; i < X.rows && !found; i++) found = X.data[i * 2] === center[0] && X.data[i * 2 + 1] === center[1];
    assert.ok(found, `center ${c} is a row of X`);
    rows.add(center.join());
  }
  assert.is(rows.size, 3);
});

test('Lloyd iterations recover the blob means; the result is a function of the seed', async () => {
  const session = inlineExecutor.open(X);
  const a = await kmeans(session, X, 3, new Rng(1), 1e-8);
  const b = await kmeans(session, X, 3, new Rng(1), 1e-8);
  assert.equal(a, b);
  assert.ok(a.converged);
  assert.equal(nearestTruth(a.centers).sort(), [0, 1, 2]);
  // another seed finds the same clusters, maybe in another order
  const c = await kmeans(session, X, 3, new Rng(99), 1e-8);
  assert.equal(nearestTruth(c.centers).sort(), [0, 1, 2]);
  // maxIter bounds the iterations
  const one = await kmeans(session, X, 3, new Rng(1), 0, 1);
  assert.is(one.iterations, 1);
  assert.is(one.converged, false);
});

test('the assignment task: counts sum to n, labels change only when they should, offsets sum about the centers', () => {
  const centers = Float64Array.from([0, 0, 8, 1, 2, 9]);
  const input = { data: X.data, rows: X.rows, cols: 2, labels: new Int32Array(X.rows) };
  const first = kmeansChunk(input, 0, X.rows, { k: 3, d: 2, centers, first: true, scatter: 'diag' });
  assert.is(first[0], X.rows, 'the first pass changes every label');
  assert.is(first[KMEANS_COUNTS]! + first[KMEANS_COUNTS + 1]! + first[KMEANS_COUNTS + 2]!, X.rows);
  assert.is(first.length, KMEANS_COUNTS + 3 + 3 * 2 + 3 * 2);
  const again = kmeansChunk(input, 0, X.rows, { k: 3, d: 2, centers, first: false, scatter: 'none' });
  assert.is(again[0], 0, 'same centers, no change');
  assert.is(again.length, KMEANS_COUNTS + 3 + 3 * 2);
  // offsets: Σ (x − c) over cluster 0 equals Σ x − count · c
  let sx = 0;
  for (let i = 0; i < X.rows; i++) if (input.labels[i] === 0) sx += X.data[i * 2]!;
  assert.ok(Math.abs(first[KMEANS_COUNTS + 3]! - sx) < 1e-9);
});

test('a cluster left empty keeps its center; duplicate rows do not break the seeding', async () => {
  const twoPoints = { rows: 40, cols: 1, data: Float64Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : 5)) };
  const result = await kmeans(inlineExecutor.open(twoPoints), twoPoints, 3, new Rng(3), 0);
  assert.ok(Array.from(result.centers).every(Number.isFinite));
  assert.equal(Array.from(result.centers).filter((c) => c === 1 || c === 5).length, 3);
});

test('chunkedSum adds chunk by chunk; columnMoments gives the mean and the scatter about it', async () => {
  const v = Float64Array.from({ length: CHUNK_ROWS * 2 + 5 }, (_, i) => 0.1 * i);
  let expected = 0;
  for (let c = 0; c < v.length; c += CHUNK_ROWS) {
    let s = 0;
    for (let i = c; i < Math.min(v.length, c + CHUNK_ROWS); i++) s += v[i]!;
    expected += s;
  }
  assert.is(chunkedSum(v), expected);
  const Y = blobs(4, [{ n: 500, mean: [100, -3], scale: [2, 0, 1, 0.5] }]);
  const { mean, scatter, total } = await columnMoments(inlineExecutor.open(Y), Y, 'full');
  let mx = 0;
  let my = 0;
  for (let i = 0; i < Y.rows; i++) [mx, my] = [mx + Y.data[i * 2]! / Y.rows, my + Y.data[i * 2 + 1]! / Y.rows];
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < Y.rows; i++) [sxy, sxx] = [sxy + (Y.data[i * 2]! - mx) * (Y.data[i * 2 + 1]! - my), sxx + (Y.data[i * 2]! - mx) ** 2];
  assert.ok(Math.abs(mean[0]! - mx) < 1e-12 && Math.abs(mean[1]! - my) < 1e-12);
  assert.ok(Math.abs(scatter[1]! - sxy) < 1e-9 && scatter[1] === scatter[2]);
  assert.ok(Math.abs(scatter[0]! - sxx) < 1e-9);
  assert.ok(Math.abs(total - scatter[0]! - scatter[3]!) < 1e-9);
  const diag = await columnMoments(inlineExecutor.open(Y), Y, 'diag');
  assert.equal(Array.from(diag.scatter), [scatter[0], scatter[3]]);
  assert.ok(sumChunks([]).length === 0);
});

test.run();
