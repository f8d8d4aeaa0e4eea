/** Sample ratio mismatch against scipy.stats.chisquare. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { srm } from '../../../operators/stats/index.ts';
import { close, closeArray, reference } from './fixtures/reference.ts';

test('chi-square statistic, df, expected counts and p-value match scipy.stats.chisquare to 1e-9', () => {
  for (const c of reference().chisquare) {
    const r = srm(c.observed, c.ratios === null ? {} : { ratios: c.ratios });
    const what = `${JSON.stringify(c.observed)} vs ${JSON.stringify(c.ratios)}`;
    close(r.chi2, c.chi2, 1e-9, `${what} chi2`);
    close(r.pValue, c.pValue, 1e-9, `${what} p`);
    closeArray(r.expected, c.expected, 1e-9, `${what} expected`);
    assert.is(r.df, c.df);
    assert.is(r.mismatch, c.pValue < 0.001, what);
  }
});

test('a 50/50 split off by 2% on 100k users is a mismatch; the same split at 1k users is not', () => {
  assert.ok(srm([49_000, 51_000]).mismatch);
  assert.not.ok(srm([490, 510]).mismatch);
  assert.ok(srm([490, 510], { alpha: 0.6 }).mismatch);
  assert.is(srm([900, 100], { ratios: [9, 1] }).chi2, 0);
});

test.run();
