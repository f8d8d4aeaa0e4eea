/**
 * The pool's scoreRows (operators/qmpt/pool.ts, task scoreChunk): === the
 * main thread's batchScore for one and several row ranges, with models
 * switching by key; a bad row's error keeps its code and names the row.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createQmptPool, type QmptPool, type RowScores } from '../../../operators/qmpt/pool.ts';
import { DEFAULT_CONFIG } from '../../../qmpt/config/loader.ts';
import { matrix } from '../../../qmpt/matrix.ts';
import { AnomalyEstimator } from '../../../qmpt/metrics/anomaly.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { AnomalyConfig, Matrix } from '../../../qmpt/types.ts';
import { expectRejection } from '../../support/errors.ts';

const pool: QmptPool = createQmptPool({ threads: 2 });
test.after(() => pool.close());

const config: AnomalyConfig = { ...structuredClone(DEFAULT_CONFIG.metrics.anomaly), gmm: { ...DEFAULT_CONFIG.metrics.anomaly.gmm, components: { min: 1, max: 3 } }, isolation: { trees: 30, sample_size: 64 } };

function gaussianRows(n: number, d: number, seed: number, shift = 0): Matrix {
  const rng = new Rng(seed);
  const X = matrix(n, d);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.normal() + shift;
  return X;
}

const columns = (s: RowScores): number[][] => [Array.from(s.anomaly), Array.from(s.rarity), Array.from(s.distance), Array.from(s.isolation)];

test('scoreRows gives === batchScore, for one worker range and two, as models switch by key', async () => {
  const a = await AnomalyEstimator.fit(gaussianRows(300, 5, 1), config);
  const b = await AnomalyEstimator.fit(gaussianRows(300, 5, 2, 1.5), config);
  const models = [{ key: 'a', state: a.toState(), estimator: a }, { key: 'b', state: b.toState(), estimator: b }];
  for (const rows of [10, 1000]) {
    const X = gaussianRows(rows, 5, 100 + rows, 0.5);
    // a, b, a again: each worker keeps both, or gets the state again
    for (const m of [...models, models[0]!]) {
      assert.equal(columns(await pool.scoreRows(m, X)), columns(m.estimator.batchScore(X)), `${rows} rows, model ${m.key}`);
    }
  }
});

test('a row the estimator refuses fails with its code and the row named', async () => {
  const est = await AnomalyEstimator.fit(gaussianRows(200, 3, 3), config);
  const X = gaussianRows(600, 3, 4);
  X.data[3 * 450 + 1] = Number.NaN;
  await expectRejection(() => pool.scoreRows({ key: 'nan', state: est.toState() }, X), { code: 'RECORD_VALIDATE', includes: ['X row 450, column 1 is NaN'] });
});

test.run();
