/** Mann–Whitney U against scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mannWhitney } from '../../../operators/stats/index.ts';
import { close, dataset, reference } from './fixtures/reference.ts';

test('U1 and the tie-corrected p-value match scipy (ties, 0/1 data, tiny samples, all alternatives)', () => {
  const cases = reference().mannWhitney;
  assert.ok(cases.length >= 24);
  for (const c of cases) {
    const { a, b } = dataset(c.dataset);
    const r = mannWhitney(Float64Array.from(a), Float64Array.from(b), { alternative: c.alternative });
    close(r.u1, c.u1, 1e-9, `${c.dataset} ${c.alternative} U1`);
    close(r.pValue, c.pValue, 1e-9, `${c.dataset} ${c.alternative} p`);
    assert.is(r.u1 + r.u2, a.length * b.length);
  }
});

test('average ranks: hand-checked small case; all values tied gives p = 1', () => {
  // pooled sorted: 1 2 2 3 | a = [1, 2], b = [2, 3]: ranks of a = 1 + 2.5 = 3.5, U1 = 3.5 - 3 = 0.5
  const r = mannWhitney([2, 1], [3, 2]);
  assert.is(r.u1, 0.5);
  assert.is(r.tieTerm, 6);
  const tied = mannWhitney([4, 4, 4], [4, 4]);
  assert.is(tied.u1, 3);
  assert.is(tied.pValue, 1);
});

test.run();
