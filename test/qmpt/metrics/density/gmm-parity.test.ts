/**
 * Parity with scikit-learn's GaussianMixture (issue 8): on every dataset of
 * test/qmpt/fixtures/gmm-sklearn.json (scripts/qmpt-gmm-reference.py) the fit
 * picks the same K by BIC, and the chosen model's mean log-likelihood and BIC
 * agree within 1e-3 relative. The initialisations differ (our k-means++ draws
 * from our seeded generator), so agreement means both reach the same optimum.
 */
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitGmm } from '../../../../qmpt/metrics/density/index.ts';
import type { GmmConfig } from '../../../../qmpt/types.ts';

interface Fixture {
  settings: { k_min: number; k_max: number; reg_covar: number; tol: number; max_iter: number; n_init: number };
  datasets: { name: string; covariance: 'full' | 'diag'; rows: number; cols: number; data: number[]; k: number; bic: number; meanLogLikelihood: number; perK: { k: number; bic: number; meanLogLikelihood: number }[] }[];
}

const fixture = JSON.parse(fs.readFileSync(new URL('../../fixtures/gmm-sklearn.json', import.meta.url), 'utf8')) as Fixture;
const s = fixture.settings;
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
let worst = 0;
let worstOtherK = 0;

for (const ds of fixture.datasets) {
  test(`${ds.name}: same K by BIC as scikit-learn, log-likelihood within 1e-3`, async () => {
    const config: GmmConfig = { components: { min: s.k_min, max: s.k_max }, covariance: ds.covariance, reg_covar: s.reg_covar, min_component_share: 0, tol: s.tol, max_iter: s.max_iter, n_init: s.n_init };
    const { diagnostics } = await fitGmm({ rows: ds.rows, cols: ds.cols, data: Float64Array.from(ds.data) }, config, { seed: 0 });
    assert.is(diagnostics.k, ds.k, 'K chosen by BIC');
    assert.equal(diagnostics.candidates.map((c) => c.k), ds.perK.map((r) => r.k));
    const ll = relative(diagnostics.meanLogLikelihood, ds.meanLogLikelihood);
    const bic = relative(diagnostics.bic, ds.bic);
    worst = Math.max(worst, ll, bic);
    assert.ok(ll <= 1e-3, `mean log-likelihood ${diagnostics.meanLogLikelihood} vs sklearn ${ds.meanLogLikelihood} (relative ${ll})`);
    assert.ok(bic <= 1e-3, `BIC ${diagnostics.bic} vs sklearn ${ds.bic} (relative ${bic})`);
    // above the true K, EM's local optima differ with the initialisation: reported, not asserted
    for (const [i, c] of diagnostics.candidates.entries()) worstOtherK = Math.max(worstOtherK, relative(c.bic, ds.perK[i]!.bic));
  });
}

test.after(() => console.log(`worst relative difference from scikit-learn: ${worst.toExponential(2)} at the chosen K, ${worstOtherK.toExponential(2)} over every K's BIC`));

test.run();
