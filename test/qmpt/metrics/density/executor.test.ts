/**
 * The chunk executors: a fit run in the QMPT worker pool (operators/qmpt/pool.ts)
 * equals the inline fit exactly (===, every field) for 1 and 2 threads, for
 * data of several chunks with a partial last one; errors keep their code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../../engine/errors.ts';
import { createQmptPool, type QmptPool } from '../../../../operators/qmpt/pool.ts';
import { CHUNK_ROWS, fitDensity, fitGmm, inlineExecutor, runChunks, sumChunks } from '../../../../qmpt/metrics/density/index.ts';
import type { AnomalyConfig, GmmConfig } from '../../../../qmpt/types.ts';
import { blobs } from './blobs.ts';
import { expectRejection } from '../../../support/errors.ts';

// 2.5 chunks of rows, 4 dimensions, 3 correlated clusters
const X = blobs(31, [
  { n: 4000, mean: [0, 0, 0, 0], scale: [1, 0, 0, 0, 0.5, 1, 0, 0, 0, 0.3, 1, 0, 0.2, 0, 0, 1] },
  { n: 3500, mean: [4, 4, 0, -2], scale: [0.8, 1.2, 1, 0.5] },
  { n: 2740, mean: [-3, 5, 3, 1], scale: [1, 1, 1, 1] },
]);
// started once for the whole file: a worker's start (tsx included) takes ~0.5 s
const pools = new Map<number, QmptPool>([1, 2].map((threads) => [threads, createQmptPool({ threads })]));

const rejects = async (run: () => Promise<unknown>, message: RegExp): Promise<void> => void (await expectRejection(run, { includes: [message] }));

test.after(async () => {
  await Promise.all([...pools.values()].map((p) => p.close()));
});

const config = (over: Partial<GmmConfig> = {}): GmmConfig => ({ components: { min: 2, max: 3 }, covariance: 'full', reg_covar: 1e-6, min_component_share: 0, tol: 1e-6, max_iter: 100, n_init: 2, ...over });

test('the pool gives the inline fit exactly, with 1 and 2 threads, full and diag', async () => {
  assert.ok(X.rows > 2 * CHUNK_ROWS && X.rows % CHUNK_ROWS !== 0);
  for (const covariance of ['full', 'diag'] as const) {
    const inline = await fitGmm(X, config({ covariance }), { seed: 5 });
    for (const [threads, pool] of pools) {
      assert.is(pool.threads, threads);
      const pooled = await fitGmm(X, config({ covariance }), { seed: 5, executor: pool.executor });
      assert.equal(pooled.diagnostics, inline.diagnostics, `${covariance}, ${threads} threads: diagnostics`);
      assert.equal(pooled.model.toState(), inline.model.toState(), `${covariance}, ${threads} threads: parameters`);
      assert.equal(pooled.model.logDensity(X), inline.model.logDensity(X));
    }
  }
  // through fitDensity, and on X already in shared memory (used as it is)
  const shared = new Float64Array(new SharedArrayBuffer(X.data.byteLength));
  shared.set(X.data);
  const anomaly = { density_model: 'gmm', gmm: config({ components: { min: 3, max: 3 } }), seed: 2 } as AnomalyConfig;
  const a = await fitDensity(X, anomaly);
  const b = await fitDensity({ ...X, data: shared }, anomaly, { executor: pools.get(2)!.executor });
  assert.equal(b.toState(), a.toState());
});

test('every chunk task gives the same partials in a worker as inline', async () => {
  const params = { k: 3, d: 4, centers: X.data.slice(0, 12), first: true, scatter: 'full' as const };
  const inline = inlineExecutor.open(X);
  const pooled = pools.get(2)!.executor.open(X);
  const expected = await inline.map('kmeans', params);
  assert.is(expected.length, 3);
  assert.equal(await pooled.map('kmeans', params), expected);
  assert.equal(sumChunks(expected), sumChunks(runChunks('kmeans', { ...X, labels: new Int32Array(X.rows) }, 0, 3, params)));
  pooled.close();
  await rejects(() => pooled.map('kmeans', params), /map\("kmeans"\) on a closed session/);
});

test('errors keep their code; a closed pool refuses work', async () => {
  const pool = pools.get(1)!;
  const session = pool.executor.open(X);
  try {
    await session.map('nope' as 'kmeans', { k: 1, d: 4, centers: new Float64Array(4), first: true, scatter: 'none' });
    assert.unreachable('ran an unknown task');
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'RUNTIME');
    assert.match((err as Error).message, /qmpt worker \(chunks\): runChunks: unknown task "nope"; known: em, kmeans/);
  }
  // a collapsed component, found on the main thread from the pooled statistics, names its component
  const flat = { rows: 60, cols: 2, data: Float64Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? i : 7)) };
  await rejects(() => fitGmm(flat, config({ components: { min: 2, max: 2 }, reg_covar: 0 }), { seed: 1, executor: pool.executor }), /the covariance of component 0 is not positive definite/);
  assert.throws(() => createQmptPool({ threads: 0 }), /createQmptPool: threads = 0 must be an integer in 1\.\.256/);
  const closed = createQmptPool({ threads: 1 });
  await closed.close();
  assert.throws(() => closed.executor.open(X), /executor.open called after close/);
});

test.run();
