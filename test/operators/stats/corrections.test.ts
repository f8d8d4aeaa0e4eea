/** Holm and Benjamini–Hochberg against statsmodels.stats.multitest.multipletests. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adjustPValues, benjaminiHochberg, holm } from '../../../operators/stats/index.ts';
import { closeArray, reference } from './fixtures/reference.ts';

test('adjusted p-values (1e-12) and reject decisions match statsmodels, ties and input order included', () => {
  for (const c of reference().multipletests) {
    for (const method of ['holm', 'fdr_bh'] as const) {
      const r = adjustPValues(c.pvalues, { method, alpha: c.alpha });
      closeArray(r.adjusted, c[method].adjusted, 1e-12, `${method} alpha ${c.alpha} ${c.pvalues.length} p-values`);
      assert.equal(r.rejected, c[method].rejected, `${method} alpha ${c.alpha} rejected`);
    }
  }
});

test('holm and benjaminiHochberg are the shorthands; adjusted values are monotone in the raw ones', () => {
  const p = [0.04, 0.001, 0.03, 0.2];
  assert.equal(holm(p), adjustPValues(p, { method: 'holm' }));
  assert.equal(benjaminiHochberg(p, 0.1), adjustPValues(p, { method: 'fdr_bh', alpha: 0.1 }));
  assert.equal(Array.from(holm(p).adjusted), [0.09, 0.004, 0.09, 0.2]);
  const bh = benjaminiHochberg(p).adjusted;
  for (let i = 0; i < p.length; i++) for (let j = 0; j < p.length; j++) if (p[i]! < p[j]!) assert.ok(bh[i]! <= bh[j]!);
});

test.run();
