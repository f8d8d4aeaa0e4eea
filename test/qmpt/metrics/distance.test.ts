/** The distance component D̂ / D̃ of docs/QMPT.md §3.2 in its three modes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRows, matrix } from '../../../qmpt/matrix.ts';
import { DistanceScorer, type DistanceMode, type DistanceState } from '../../../qmpt/metrics/distance.ts';
import { Rng } from '../../../qmpt/random.ts';
import { matchesRegression } from '../../support/regression.ts';
import { clustersWithOutliers, gaussianSet, sampleGaussian } from './support.ts';
import { expectThrows } from '../../support/errors.ts';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

const ref4 = fromRows([[0, 0], [2, 0], [0, 2], [2, 2]]);
const unitAt11 = gaussianSet([[1, 1]], [[[1, 0], [0, 1]]]);

test('mahalanobis by hand: diagonal and correlated covariances, nearest component, D̃ = P(d/2, D̂²/2)', () => {
  // N((1, 2), diag(4, 1)): x = (3, 2) is one standard deviation out along x, D̂² = 1
  const g = gaussianSet([[1, 2], [10, 10]], [[[4, 0], [0, 1]], [[1, 0], [0, 1]]]);
  const s = DistanceScorer.fit(ref4, g, { mode: 'mahalanobis', knnK: 1 }).score(fromRows([[3, 2], [1, 2], [10, 13]]));
  close(s.raw[0]!, 1, 1e-15, 'D̂ (3,2)');
  close(s.normalised[0]!, 1 - Math.exp(-0.5), 1e-15, 'χ²₂ CDF at 1'); // F_{χ²₂}(q) = 1 − e^{−q/2}
  assert.is(s.raw[1], 0);
  assert.is(s.normalised[1], 0);
  close(s.raw[2]!, 3, 1e-15, 'the second component is nearer');
  // Σ = [[2, 1], [1, 2]]: Σ⁻¹ = [[2, −1], [−1, 2]] / 3, so (1, 1)ᵀΣ⁻¹(1, 1) = 2/3
  const c = gaussianSet([[0, 0]], [[[2, 1], [1, 2]]]);
  const t = DistanceScorer.fit(ref4, c, { mode: 'mahalanobis', knnK: 1 }).score(fromRows([[1, 1], [1, -1]]));
  close(t.raw[0]! ** 2, 2 / 3, 1e-14, 'D̂² along the correlation');
  close(t.raw[1]! ** 2, 2, 1e-14, 'D̂² against it');
});

test('mahalanobis: D̃ is uniform on the component\'s own points (the χ²_d calibration), 3-D', () => {
  const cov = [[2, 0.6, 0], [0.6, 1, -0.3], [0, -0.3, 0.5]];
  const g = gaussianSet([[1, -1, 0]], [cov]);
  const X = sampleGaussian(new Rng(4), 4000, [1, -1, 0], cov);
  const s = DistanceScorer.fit(X, g, { mode: 'mahalanobis', knnK: 1 }).score(X);
  const sorted = Array.from(s.normalised).sort((a, b) => a - b);
  for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) close(sorted[Math.floor(q * sorted.length)]!, q, 0.03, `quantile ${q}`);
});

test('euclidean by hand: z-scored distance to the nearest mean, mid-rank ECDF of the reference', () => {
  // reference moments: mean (1, 1), population sd (1, 1); every reference point is √2 from the mean
  const d = DistanceScorer.fit(ref4, unitAt11, { mode: 'euclidean', knnK: 1 });
  const s = d.score(fromRows([[1, 1], [2, 2], [3, 3]]));
  assert.equal(Array.from(s.raw), [0, Math.SQRT2, Math.sqrt(8)]);
  assert.equal(Array.from(s.normalised), [0.5 / 5, 2.5 / 5, 4.5 / 5]);
  // a constant column divides by 1: leaving the value the reference never left still counts
  const flat = DistanceScorer.fit(fromRows([[0, 5], [2, 5], [4, 5]]), gaussianSet([[2, 5]], [[[1, 0], [0, 1]]]), { mode: 'euclidean', knnK: 1 });
  const sd = Math.sqrt(8 / 3);
  assert.equal(Array.from(flat.score(fromRows([[2, 8]])).raw), [3]);
  close(flat.score(fromRows([[2 + sd, 5]])).raw[0]!, 1, 1e-15, 'z of one sd');
});

test('knn by hand: leave-one-out reference, mean of the k nearest z-scored distances', () => {
  // 1-D reference 0 1 3 7: mean 2.75, population sd √7.1875; k = 2
  const X = fromRows([[0], [1], [3], [7]]);
  const sd = Math.sqrt(7.1875);
  const knn = DistanceScorer.fit(X, gaussianSet([[2.75]], [[[1]]]), { mode: 'knn', knnK: 2 });
  const state = knn.toState() as Extract<DistanceState, { mode: 'knn' }>;
  // leave-one-out means: 0 → (1 + 3)/2, 1 → (1 + 2)/2, 3 → (2 + 3)/2, 7 → (4 + 6)/2
  const loo = [2, 1.5, 2.5, 5].map((v) => v / sd).sort((a, b) => a - b);
  state.reference.sorted.forEach((v, i) => close(v, loo[i]!, 1e-14, `reference ${i}`));
  const s = knn.score(fromRows([[2], [20]]));
  close(s.raw[0]!, 1 / sd, 1e-15, 'x = 2: neighbours 1 and 3');
  close(s.raw[1]!, (13 + 17) / 2 / sd, 1e-14, 'x = 20: neighbours 7 and 3');
  assert.is(s.normalised[0], 0.5 / 5);
  assert.is(s.normalised[1], 4.5 / 5);
});

test('knn agrees with a sorting brute force on seeded data (heap and pruning are exact)', () => {
  const rng = new Rng(6);
  const X = sampleGaussian(rng, 300, [0, 0, 0], [[1, 0, 0], [0, 4, 0], [0, 0, 0.25]]);
  const Q = sampleGaussian(rng, 40, [0, 0, 0], [[3, 0, 0], [0, 3, 0], [0, 0, 3]]);
  const k = 7;
  const knn = DistanceScorer.fit(X, gaussianSet([[0, 0, 0]], [[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]), { mode: 'knn', knnK: k });
  const st = knn.toState() as Extract<DistanceState, { mode: 'knn' }>;
  const raw = knn.score(Q).raw;
  for (let q = 0; q < Q.rows; q++) {
    const dists: number[] = [];
    for (let p = 0; p < X.rows; p++) {
      let s = 0;
      for (let c = 0; c < 3; c++) s += ((Q.data[q * 3 + c]! - st.center[c]!) / st.scale[c]! - st.points.data[p * 3 + c]!) ** 2;
      dists.push(Math.sqrt(s));
    }
    dists.sort((a, b) => a - b);
    close(raw[q]!, dists.slice(0, k).reduce((a, b) => a + b, 0) / k, 1e-12, `query ${q}`);
  }
});

test('every mode ranks planted outliers above the clusters; state round trip and row chunks give identical numbers', () => {
  const { X, outliers } = clustersWithOutliers(8, 150);
  const g = gaussianSet([[0, 0], [6, 1]], [[[1, 0.5], [0.5, 1]], [[0.5, 0], [0, 2]]]);
  for (const mode of ['mahalanobis', 'euclidean', 'knn'] as DistanceMode[]) {
    const d = DistanceScorer.fit(X, g, { mode, knnK: 5 });
    const s = d.score(X);
    const order = Array.from(s.raw.keys()).sort((a, b) => s.raw[b]! - s.raw[a]!);
    assert.equal(order.slice(0, 5).sort((a, b) => a - b), outliers, `${mode}: top 5`);
    const restored = DistanceScorer.fromState(JSON.parse(JSON.stringify(d.toState())) as DistanceState);
    const again = restored.score(X);
    assert.equal(Array.from(again.raw), Array.from(s.raw), `${mode}: raw after the round trip`);
    assert.equal(Array.from(again.normalised), Array.from(s.normalised), `${mode}: D̃ after the round trip`);
    const half = X.rows >> 1;
    const a = d.score(matrix(half, 2, X.data.subarray(0, half * 2)));
    const b = d.score(matrix(X.rows - half, 2, X.data.subarray(half * 2)));
    assert.equal([...a.normalised, ...b.normalised], Array.from(s.normalised), `${mode}: chunks`);
    for (const v of s.normalised) assert.ok(v >= 0 && v <= 1);
  }
});

test('errors: knn_k beyond the reference, unknown mode, dimension mismatch, NaN row', () => {
  const message = (run: () => unknown): string => expectThrows(run, {}).message;

  assert.is(message(() => DistanceScorer.fit(ref4, unitAt11, { mode: 'knn', knnK: 4 })), 'DistanceScorer.fit: knn_k = 4 must be an integer in 1..3');
  assert.is(message(() => DistanceScorer.fit(ref4, unitAt11, { mode: 'cosine' as DistanceMode, knnK: 1 })), 'DistanceScorer.fit: distance_mode = "cosine" must be one of "mahalanobis", "euclidean", "knn"');
  assert.match(message(() => DistanceScorer.fit(fromRows([[1], [2]]), unitAt11, { mode: 'mahalanobis', knnK: 1 })), /gaussians must hold/);
  const d = DistanceScorer.fit(ref4, unitAt11, { mode: 'euclidean', knnK: 1 });
  assert.is(message(() => d.score(fromRows([[1, 2, 3]]))), 'DistanceScorer.score: X.cols = 3, but the model was fitted on 2 columns');
  assert.is(message(() => d.score(fromRows([[1, 2], [Number.POSITIVE_INFINITY, 0]]))), 'DistanceScorer.score: X row 1, column 0 is Infinity; every value must be a finite number');
});

test('fixed-seed regression set', () => {
  const { X } = clustersWithOutliers(31, 60);
  const g = gaussianSet([[0, 0], [6, 1]], [[[1, 0.5], [0.5, 1]], [[0.5, 0], [0, 2]]]);
  const probe = fromRows([[0, 0], [3, 0.5], [6, 1], [3, 8], [-2, 9]]);
  const out: Record<string, unknown> = {};
  for (const mode of ['mahalanobis', 'euclidean', 'knn'] as DistanceMode[]) {
    const s = DistanceScorer.fit(X, g, { mode, knnK: 4 }).score(probe);
    out[mode] = { raw: s.raw, normalised: s.normalised };
  }
  matchesRegression('distance', out);
});

test.run();
