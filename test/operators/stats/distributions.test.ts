/** Distribution functions against scipy.stats (norm, t, chi2, nct) on a grid, tails included. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chi2Cdf, chi2Sf, nctCdf, nctSf, normalCdf, normalPpf, normalSf, tCdf, tPpf, tSf } from '../../../operators/stats/index.ts';
import { close, closeBoth, reference } from './fixtures/reference.ts';

const d = reference().distributions;

test('normal cdf, sf and ppf match scipy.stats.norm to 1e-13 relative (tails included)', () => {
  for (const [x, y] of d.normalCdf) closeBoth(normalCdf(x!), y!, 1e-13, `normalCdf(${x})`);
  for (const [x, y] of d.normalSf) closeBoth(normalSf(x!), y!, 1e-13, `normalSf(${x})`);
  for (const [p, x] of d.normalPpf) close(normalPpf(p!), x!, 1e-13, `normalPpf(${p})`);
});

test('Student t cdf and sf match scipy.stats.t to 1e-12 relative', () => {
  for (const [x, df, y] of d.tCdf) closeBoth(tCdf(x!, df!), y!, 1e-12, `tCdf(${x}, ${df})`);
  for (const [x, df, y] of d.tSf) closeBoth(tSf(x!, df!), y!, 1e-12, `tSf(${x}, ${df})`);
});

test('Student t ppf inverts the cdf to 1e-14 and matches scipy to 1e-8 (scipy 1.10 t.ppf itself round-trips only to ~5e-9)', () => {
  for (const [p, df] of d.tPpf) close(tCdf(tPpf(p!, df!), df!), p!, 1e-14, `tCdf(tPpf(${p}, ${df}))`);
  for (const [p, df, x] of d.tPpf) close(tPpf(p!, df!), x!, 1e-8, `tPpf(${p}, ${df})`);
  assert.is(tPpf(0.5, 3), 0);
  assert.is(tPpf(0.75, 12), -tPpf(0.25, 12));
});

test('chi-square cdf and sf match scipy.stats.chi2 to 1e-12 relative', () => {
  for (const [x, df, y] of d.chi2Cdf) closeBoth(chi2Cdf(x!, df!), y!, 1e-12, `chi2Cdf(${x}, ${df})`);
  for (const [x, df, y] of d.chi2Sf) closeBoth(chi2Sf(x!, df!), y!, 1e-12, `chi2Sf(${x}, ${df})`);
});

test('noncentral t cdf (AS 243) matches scipy.stats.nct to 1e-12 absolute', () => {
  for (const [x, df, nc, y] of d.nctCdf) {
    assert.ok(Math.abs(nctCdf(x!, df!, nc!) - y!) <= 1e-12, `nctCdf(${x}, ${df}, ${nc}) = ${nctCdf(x!, df!, nc!)}, scipy ${y}`);
    assert.ok(Math.abs(nctSf(x!, df!, nc!) - (1 - y!)) <= 1e-12, `nctSf(${x}, ${df}, ${nc})`);
  }
  // beyond |nc| = 37 the series cannot start; the normal approximation gives the right 0 / 1
  assert.ok(nctCdf(2, 50, 40) < 1e-100);
  assert.ok(nctCdf(60, 50, 40) > 0.99);
  assert.is(nctCdf(1.5, 7, 0), tCdf(1.5, 7));
});

test.run();
