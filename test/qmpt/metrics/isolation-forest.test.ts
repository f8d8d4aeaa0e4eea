/** Isolation forest (Liu, Ting & Zhou 2008) as docs/QMPT.md §3.2 states it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { averagePathLength, IsolationForest, type IsolationForestState } from '../../../qmpt/metrics/isolation-forest.ts';
import { fromRows, matrix } from '../../../qmpt/matrix.ts';
import { Rng } from '../../../qmpt/random.ts';
import { matchesRegression } from '../../support/regression.ts';
import { expectThrows } from '../../support/errors.ts';

function gaussian(rows: number, cols: number, seed: number): ReturnType<typeof matrix> {
  const rng = new Rng(seed);
  const X = matrix(rows, cols);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.normal();
  return X;
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test('c(n) by hand: 0, 0, 1, then 2(ln(n−1) + γ) − 2(n−1)/n', () => {
  assert.is(averagePathLength(0), 0);
  assert.is(averagePathLength(1), 0);
  assert.is(averagePathLength(2), 1);
  close(averagePathLength(3), 2 * (Math.log(2) + 0.5772156649) - 4 / 3, 1e-15, 'c(3)');
  close(averagePathLength(3), 1.207392357586557, 1e-12, 'c(3)');
  close(averagePathLength(256), 10.244770920116851, 1e-12, 'c(256)');
});

test('a hand-built tree: s(x) = 2^(−(edges + c(size)) / c(ψ))', () => {
  // ψ = 4: the root splits column 0 at 0.5; left holds 1 point, right 3
  const state: IsolationForestState = { dim: 1, trees: 1, sampleSize: 4, heightLimit: 2, roots: [0], feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], size: [4, 1, 3] };
  const forest = IsolationForest.fromState(state);
  const X = fromRows([[0], [0.5], [1]]);
  const h = forest.meanPathLength(X);
  assert.equal(Array.from(h), [1, 1, 1 + averagePathLength(3)]);
  const s = forest.score(X);
  close(s[0]!, 0.6877436677784063, 1e-14, 's(0)');
  close(s[2]!, 0.4376598631629028, 1e-14, 's(1)');
});

test('1-D data with an obvious outlier: the outlier scores near 1, inliers about 0.5 or less', () => {
  const rng = new Rng(11);
  const values = Array.from({ length: 511 }, () => rng.normal());
  values.push(40);
  const X = fromRows(values.map((v) => [v]));
  const s = IsolationForest.fit(X, { trees: 100, sampleSize: 256, seed: 1 }).score(X);
  const outlier = s[511]!;
  let inlierMean = 0;
  let inlierMax = 0;
  for (let i = 0; i < 511; i++) {
    inlierMean += s[i]! / 511;
    inlierMax = Math.max(inlierMax, s[i]!);
  }
  assert.ok(outlier > 0.75, `outlier ${outlier}`);
  assert.ok(inlierMean < 0.5, `inlier mean ${inlierMean}`);
  assert.ok(outlier > inlierMax, `outlier ${outlier} vs the most isolated inlier ${inlierMax}`);
});

test('planted 2-D outliers rank above the inliers', () => {
  const X = gaussian(400, 2, 5);
  const planted = [[9, 9], [-12, 2], [1, 13], [9, -10]];
  planted.forEach((p, i) => X.data.set(p, (396 + i) * 2));
  const s = IsolationForest.fit(X, { trees: 100, sampleSize: 128, seed: 9 }).score(X);
  const order = Array.from(s.keys()).sort((a, b) => s[b]! - s[a]!);
  assert.equal(order.slice(0, 4).sort(), [396, 397, 398, 399]);
});

test('structure: height limit, sizes add up, a constant column is never split, ψ clamps to n', () => {
  const rng = new Rng(2);
  const X = fromRows(Array.from({ length: 100 }, () => [rng.normal(), 3, rng.normal()]));
  const forest = IsolationForest.fit(X, { trees: 20, sampleSize: 64, seed: 4 });
  const st = forest.toState();
  assert.is(st.heightLimit, 6);
  assert.ok(!st.feature.includes(1), 'the constant column was chosen');
  const depth = (node: number): number => (st.feature[node]! < 0 ? 0 : 1 + Math.max(depth(st.left[node]!), depth(st.right[node]!)));
  for (const root of st.roots) {
    assert.is(st.size[root], 64);
    assert.ok(depth(root) <= 6);
  }
  st.feature.forEach((f, i) => {
    if (f >= 0) assert.is(st.size[st.left[i]!]! + st.size[st.right[i]!]!, st.size[i]);
    if (f >= 0) assert.ok(st.size[st.left[i]!]! > 0 && st.size[st.right[i]!]! > 0);
  });
  const small = IsolationForest.fit(fromRows([[0], [1], [2], [10]]), { trees: 3, sampleSize: 256, seed: 1 });
  assert.is(small.sampleSize, 4);
  assert.is(small.heightLimit, 2);
});

test('deterministic per seed; trees are independent of how many are grown; state round trip', () => {
  const X = gaussian(300, 3, 8);
  const a = IsolationForest.fit(X, { trees: 10, sampleSize: 64, seed: 3 });
  const b = IsolationForest.fit(X, { trees: 10, sampleSize: 64, seed: 3 });
  assert.equal(a.toState(), b.toState());
  assert.not.equal(IsolationForest.fit(X, { trees: 10, sampleSize: 64, seed: 4 }).toState().threshold, a.toState().threshold);
  const five = IsolationForest.fit(X, { trees: 5, sampleSize: 64, seed: 3 }).toState();
  const ten = a.toState();
  const prefix = ten.roots[5]!;
  assert.equal(five.feature, ten.feature.slice(0, prefix));
  assert.equal(five.threshold, ten.threshold.slice(0, prefix));
  const restored = IsolationForest.fromState(JSON.parse(JSON.stringify(ten)) as IsolationForestState);
  assert.equal(Array.from(restored.score(X)), Array.from(a.score(X)));
});

test('errors name the argument, the row and the column', () => {
  const X = gaussian(10, 2, 1);
  const msg = (run: () => unknown): string => expectThrows(run, {}).message;

  assert.is(msg(() => IsolationForest.fit(X, { trees: 0, sampleSize: 8, seed: 1 })), 'IsolationForest.fit: trees = 0 must be an integer ≥ 1');
  assert.is(msg(() => IsolationForest.fit(X, { trees: 5, sampleSize: 1, seed: 1 })), 'IsolationForest.fit: sampleSize = 1 must be an integer ≥ 2');
  const bad = matrix(3, 2, Float64Array.from([0, 1, 2, Number.NaN, 4, 5]));
  assert.is(msg(() => IsolationForest.fit(bad, { trees: 5, sampleSize: 8, seed: 1 })), 'IsolationForest.fit: X row 1, column 1 is NaN; every value must be a finite number');
  const forest = IsolationForest.fit(X, { trees: 5, sampleSize: 8, seed: 1 });
  assert.is(msg(() => forest.score(matrix(1, 3))), 'IsolationForest: X.cols = 3, but the model was fitted on 2 columns');
  assert.is(msg(() => IsolationForest.fit(matrix(1, 2), { trees: 5, sampleSize: 8, seed: 1 })), 'IsolationForest.fit: X has 1 row; at least 2 needed');
  const st = forest.toState();
  assert.match(msg(() => IsolationForest.fromState({ ...st, left: st.left.map((l, i) => (i === 0 ? 0 : l)) })), /node 0 has children 0, /);
});

test('fixed-seed regression set', () => {
  const X = gaussian(200, 3, 21);
  X.data.set([5, 5, 5], 0);
  const forest = IsolationForest.fit(X, { trees: 25, sampleSize: 64, seed: 42 });
  const st = forest.toState();
  const probe = fromRows([[0, 0, 0], [5, 5, 5], [2, -2, 0], [-3, 1, 4]]);
  matchesRegression('isolation-forest', { nodes: st.feature.length, roots: st.roots, score: forest.score(probe), pathLength: forest.meanPathLength(probe), firstThresholds: st.threshold.slice(0, 8) });
});

test.run();
