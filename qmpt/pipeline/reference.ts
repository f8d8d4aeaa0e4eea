/**
 * Fitting the anomaly estimator on a reference set for the batch pipeline
 * (score.ts): AnomalyEstimator.fit on the configured density, with the
 * mixture's K chosen by BIC among the admissible candidates
 * (gmm.min_component_share, docs/QMPT.md §3.1), and the candidates kept for
 * the diagnostics. A reference smaller than components.max (a handful of
 * patterns) tries K up to its number of rows.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { AnomalyEstimator } from '../metrics/anomaly.ts';
import type { ChunkExecutor } from '../metrics/density/executor.ts';
import { GmmDensity } from '../metrics/density/gmm.ts';
import { fitDensity } from '../metrics/density/index.ts';
import type { AnomalyConfig, Matrix } from '../types.ts';

/** One K tried for the reference's mixture. */
export interface ComponentCandidate {
  k: number;
  bic: number;
  /** The smallest N_k = π_k n of the fit. */
  smallest_component: number;
  /** Every N_k ≥ max(d + 1, min_component_share × n). */
  admissible: boolean;
}

export interface ReferenceFit {
  estimator: AnomalyEstimator;
  /** K of the chosen mixture; null for the kernel density. */
  components: number | null;
  /** Every K tried, in increasing K (empty for the kernel density). */
  candidates: ComponentCandidate[];
}

/** Fits the estimator on X; `what` names the reference in errors ("observations", "patterns"). */
export async function fitReference(X: Matrix, config: AnomalyConfig, what: string, executor?: ChunkExecutor): Promise<ReferenceFit> {
  try {
    const { min, max } = config.gmm.components;
    if (config.density_model === 'gmm' && min > X.rows) {
      throw new MaasflowError('CONFIG', `metrics.anomaly.gmm.components.min = ${min} exceeds the ${X.rows} rows of the reference`, { location: { path: 'metrics.anomaly.gmm.components.min' } });
    }
    const fitted: AnomalyConfig = { ...config, gmm: { ...config.gmm, components: { min, max: Math.min(max, X.rows) } } };
    const density = await fitDensity(X, fitted, executor ? { executor } : {});
    const estimator = await AnomalyEstimator.fit(X, config, { density });
    const diagnostics = density instanceof GmmDensity ? density.diagnostics : null;
    const candidates = (diagnostics?.candidates ?? []).map((c) => ({ k: c.k, bic: c.bic, smallest_component: c.smallestComponent, admissible: c.admissible }));
    return { estimator, components: diagnostics?.k ?? null, candidates };
  } catch (err) {
    if (!(err instanceof MaasflowError)) throw err;
    throw new MaasflowError(err.code, `scoring: the anomaly reference of ${X.rows} ${what}: ${err.message}`, { ...(err.location ? { location: err.location } : {}), cause: err });
  }
}
