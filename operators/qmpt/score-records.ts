/**
 * The records of the qmpt-score operator (operators/qmpt/score.ts): a score
 * per observation on port `out` (a row of the qmpt_scores table), and
 * { error, record } on port `invalid`; and the check that decides between
 * them on arrival.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { validateObservation } from '../../qmpt/data/models.ts';
import type { ScoredObservationRow } from '../../qmpt/pipeline/score.ts';
import type { FeaturesConfig, Observation } from '../../qmpt/types.ts';

/** One scored observation: the `out` port's record (and a row of the qmpt_scores table). */
export interface QmptScore extends Omit<ScoredObservationRow, 'layer_id'> {
  /** The observation's layer_id, else the first one its pattern named, else null. */
  layer_id: string | null;
  /**
   * Â of x_Ψ, the mean feature row of the pattern's observations so far (this
   * one included), under the pattern reference fitted on the patterns' mean
   * rows at the last fit (docs/QMPT.md §3.3, §9); null while that fit had
   * fewer patterns than the features have columns + 2.
   */
  pattern_anomaly: number | null;
  /** R̂_norm of the pattern so far and its parts (docs/QMPT.md §4); null where undefined. */
  reflexivity: number | null;
  r_text: number | null;
  r_dyn: number | null;
  degraded: boolean;
  /** 1 for the first fit, +1 per refit of the anomaly model. */
  model_version: number;
  feature_spec_version: string;
  anomaly_version: string;
  reflexivity_version: string;
}

/** A record of the `invalid` port: why, and the record (as validated, when it got that far). */
export interface QmptInvalid {
  error: string;
  record: unknown;
}

/** A valid observation the configured spec can read, or why not (the error names the field) and what was there. */
export type CheckedObservation = { ok: true; obs: Observation } | { ok: false; error: string; record: unknown };

/** `operator` names the operator in errors: `qmpt-score "score": observation "o-7" /timestamp: ...`. */
export function checkObservation(raw: unknown, operator: string, features: FeaturesConfig): CheckedObservation {
  const id = (raw as { obs_id?: unknown } | null)?.obs_id;
  const where = typeof id === 'string' ? `${operator}: observation ${JSON.stringify(id)}` : `${operator}: record`;
  let obs: Observation;
  try {
    obs = validateObservation(raw, where);
  } catch (err) {
    if (!isRecordError(err)) throw err;
    return { ok: false, error: err.message, record: raw };
  }
  const problem = modalityProblem(features, obs.modality);
  return problem === null ? { ok: true, obs } : { ok: false, error: `${where} ${problem}`, record: obs };
}

export function isRecordError(err: unknown): err is MaasflowError {
  return err instanceof MaasflowError && err.code === 'RECORD_VALIDATE';
}

/**
 * Why the configured feature spec cannot read an observation of `modality`,
 * or null. Checked on arrival, so a stray modality in the warmup set goes to
 * `invalid` instead of failing the fit. Specs of other kinds (registered by
 * users) are not screened: their transform decides.
 */
export function modalityProblem(features: FeaturesConfig, modality: string): string | null {
  const name = JSON.stringify(modality);
  switch (features.kind) {
    case 'text':
      return modality === 'text' ? null : `/modality: ${name} cannot be scored: the feature spec ${features.spec_id} (kind text) reads text observations only`;
    case 'numeric':
      return modality !== 'text' ? null : `/modality: "text" cannot be scored: the feature spec ${features.spec_id} (kind numeric) reads numeric payloads only`;
    case 'multimodal': {
      const blocks = Object.keys(features.modalities ?? {}).sort();
      return blocks.includes(modality) ? null : `/modality: ${name} cannot be scored: the feature spec ${features.spec_id} has blocks for ${blocks.map((b) => JSON.stringify(b)).join(', ')} only`;
    }
    default:
      return null;
  }
}
