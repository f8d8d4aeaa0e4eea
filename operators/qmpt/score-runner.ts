/**
 * The work of the qmpt-score operator (operators/qmpt/score.ts): screen each
 * record, hold valid observations until the first fit, then per observation
 * its feature row, its pattern's reflexivity and mean row, Â of both, and the
 * refit schedule. Everything that must survive a restart lives in the stores
 * of score-state.ts; the fitted objects kept here are rebuilt from them.
 *
 * Order of work inside a batch: observations are taken in arrival order;
 * the scores of a run of observations (a segment) are computed with the model
 * in force, and a refit closes the segment, so every observation is scored by
 * the model of its position in the stream whatever the batch boundaries.
 */
import type { Batch } from '../../engine/batch.ts';
import type { Counter } from '../../engine/metrics.ts';
import type { OperatorContext, Output } from '../../engine/operator.ts';
import type { FeatureSpec } from '../../qmpt/features/base.ts';
import { featureSpecFromConfig, featureSpecFromState } from '../../qmpt/features/registry.ts';
import { matrix } from '../../qmpt/matrix.ts';
import { AnomalyEstimator, type AnomalyState } from '../../qmpt/metrics/anomaly.ts';
import { ReflexivityEstimator, type ReflexivityDetail } from '../../qmpt/metrics/reflexivity.ts';
import { observationScore } from '../../qmpt/pipeline/score.ts';
import { Rng } from '../../qmpt/random.ts';
import type { Matrix, Observation, QmptConfig } from '../../qmpt/types.ts';
import type { QmptPool, RowScores } from './pool.ts';
import { checkObservation, isRecordError, type QmptInvalid, type QmptScore } from './score-records.ts';
import { modelState, newReservoir, fitPatternReference, offerRow, orderProblem, patternMeans, reservoirMatrix, scoreStores, type PatternState, type ScoreStores, type TimedObservation } from './score-state.ts';

export interface ScoreSettings {
  warmup: number;
  /** 0: never refit. */
  refitEvery: number;
  reservoir: number;
  seed: number;
}

interface LiveModel {
  spec: FeatureSpec;
  estimator: AnomalyEstimator;
  /** Scores the patterns' mean rows; null while too few patterns were seen at the last fit. */
  patterns: AnomalyEstimator | null;
  /** Names the estimators in the pool's workers (`key`, `key/patterns`): one per fit of this operator instance. */
  key: string;
}

/** A scored observation waiting for the Â of its segment. */
interface Pending {
  item: TimedObservation;
  layer: string | null;
  detail: ReflexivityDetail;
}

export class ScoreRunner {
  private readonly stores: ScoreStores;
  private readonly where: string;
  private readonly reflexivity: ReflexivityEstimator;
  private readonly seeds: Rng;
  private readonly counters: { scored: Counter; invalid: Counter; fits: Counter };
  private live: LiveModel | null = null;
  private generation = 0;

  constructor(
    ctx: OperatorContext,
    private readonly config: QmptConfig,
    private readonly settings: ScoreSettings,
    private readonly pool: QmptPool | null,
  ) {
    this.stores = scoreStores(ctx);
    this.where = `qmpt-score "${ctx.id}"`;
    this.reflexivity = new ReflexivityEstimator(config.metrics.reflexivity);
    this.seeds = new Rng(settings.seed);
    this.counters = {
      scored: ctx.counter('qmpt_scored', 'observations scored by qmpt-score'),
      invalid: ctx.counter('qmpt_invalid', 'records qmpt-score sent to its invalid port'),
      fits: ctx.counter('qmpt_model_fits', 'anomaly model fits of qmpt-score (the first and every refit)'),
    };
    this.restore();
  }

  /** Rebuilds the fitted spec and estimator from the stores (after create and after a restore). */
  restore(): void {
    const m = modelState(this.stores);
    const patterns = m.pattern_anomaly ? AnomalyEstimator.fromState(m.pattern_anomaly) : null;
    this.live = m.spec && m.anomaly ? this.open(featureSpecFromState(m.spec), AnomalyEstimator.fromState(m.anomaly), patterns) : null;
  }

  process(batch: Batch, out: Output): Promise<void> | undefined {
    const items = this.screen(batch, out);
    if (items.length === 0) return undefined;
    if (this.live) return this.scoreBatch(items, out);
    const m = modelState(this.stores);
    const { waiting } = this.stores;
    let k = 0;
    while (k < items.length && waiting.size < this.settings.warmup) waiting.set(m.arrivals++, items[k++]!);
    if (waiting.size < this.settings.warmup) return undefined;
    return this.firstFit(items.slice(k), out);
  }

  /**
   * The input ended before the first fit (a bounded input shorter than the
   * warmup): the engine's close hook cannot wait for a fit (the feature
   * transform is asynchronous), so the waiting observations go to `invalid`
   * saying so, rather than vanish.
   */
  close(out: Output): void {
    const { waiting } = this.stores;
    if (this.live || waiting.size === 0) return;
    const n = waiting.size;
    for (const e of waiting.values()) {
      this.reject(out, e.obs, e.ts, `${this.where}: observation ${JSON.stringify(e.obs.obs_id)}: the input ended after ${n} valid observations, before the ${this.settings.warmup} the first fit waits for (params.warmup); not scored`);
    }
    waiting.clear();
  }

  /** Valid observations of the batch, in order; the others go to `invalid` with the field at fault. */
  private screen(batch: Batch, out: Output): TimedObservation[] {
    const kept: TimedObservation[] = [];
    const { values, timestamps } = batch;
    for (let i = 0; i < values.length; i++) {
      const checked = checkObservation(values[i], this.where, this.config.features);
      if (checked.ok) kept.push({ obs: checked.obs, ts: timestamps[i]! });
      else this.reject(out, checked.record, timestamps[i]!, checked.error);
    }
    return kept;
  }

  /** The feature spec on the warmup set, fixed from then on; the anomaly model on its rows; then the set is scored. */
  private async firstFit(rest: TimedObservation[], out: Output): Promise<void> {
    const fitSet = [...this.stores.waiting.values()];
    const spec = featureSpecFromConfig(this.config.features);
    const X = await spec.fitTransform(fitSet.map((e) => e.obs));
    const estimator = await this.fitEstimator(X);
    const patterns = await this.fitPatternReference(warmupMeans(fitSet, X));
    const m = modelState(this.stores);
    m.spec = spec.toState();
    m.anomaly = estimator.toState();
    m.pattern_anomaly = patterns?.toState() ?? null;
    m.model_version = 1;
    m.since_fit = 0;
    this.stores.reservoir.set('rows', newReservoir(this.settings.reservoir, X.cols));
    this.stores.waiting.clear();
    this.live = this.open(spec, estimator, patterns);
    await this.scoreRows(fitSet, X, out, false);
    if (rest.length > 0) await this.scoreBatch(rest, out);
  }

  private async scoreBatch(items: TimedObservation[], out: Output): Promise<void> {
    const { kept, X } = await this.transform(items, out);
    await this.scoreRows(kept, X, out, true);
  }

  /** The feature rows of `items`; when the batch fails on a record, record by record, the failing ones to `invalid`. */
  private async transform(items: TimedObservation[], out: Output): Promise<{ kept: TimedObservation[]; X: Matrix }> {
    const spec = this.live!.spec;
    try {
      return { kept: items, X: await spec.transform(items.map((e) => e.obs)) };
    } catch (err) {
      if (!isRecordError(err)) throw err;
    }
    const kept: TimedObservation[] = [];
    const rows: Matrix[] = [];
    for (const e of items) {
      try {
        rows.push(await spec.transform([e.obs]));
        kept.push(e);
      } catch (err) {
        if (!isRecordError(err)) throw err;
        this.reject(out, e.obs, e.ts, `${this.where}: ${err.message}`);
      }
    }
    const X = matrix(rows.length, spec.dim);
    rows.forEach((r, i) => X.data.set(r.data, i * X.cols));
    return { kept, X };
  }

  /**
   * Takes `items` (row k of X is item k's) into their patterns' states in
   * order and scores them segment by segment; `countsTowardRefit` is false
   * for the warmup set, which the model was just fitted on.
   */
  private async scoreRows(items: readonly TimedObservation[], X: Matrix, out: Output, countsTowardRefit: boolean): Promise<void> {
    const d = X.cols;
    const m = modelState(this.stores);
    const reservoir = this.stores.reservoir.get('rows')!;
    // rows of the segment, then (at emit) the pattern means after them: one matrix, one scoring call
    const bytes = 2 * items.length * d * Float64Array.BYTES_PER_ELEMENT;
    const Z = new Float64Array(this.pool ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const means = new Float64Array(items.length * d);
    const pending: Pending[] = [];
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      const o = item.obs;
      let p = this.stores.patterns.get(o.pattern_id);
      const late = p ? orderProblem(p, o) : null;
      if (late !== null) {
        this.reject(out, o, item.ts, `${this.where}: observation ${JSON.stringify(o.obs_id)} ${late}`);
        continue;
      }
      if (!p) this.stores.patterns.set(o.pattern_id, (p = newPattern(this.reflexivity, d, o)));
      const row = X.data.subarray(k * d, (k + 1) * d);
      this.reflexivity.update(p.reflexivity, o, row);
      p.count++;
      const at = pending.length * d;
      for (let j = 0; j < d; j++) {
        p.sum[j] += row[j]!;
        means[at + j] = p.sum[j]! / p.count;
      }
      Z.set(row, at);
      pending.push({ item, layer: o.layer_id ?? p.layer_id, detail: this.reflexivity.detail(p.reflexivity) });
      offerRow(reservoir, row, m.seen++, this.seeds);
      if (countsTowardRefit && this.settings.refitEvery > 0 && ++m.since_fit === this.settings.refitEvery) {
        await this.emit(pending, Z, means, d, out);
        pending.length = 0;
        await this.refit();
      }
    }
    await this.emit(pending, Z, means, d, out);
  }

  /** Â of the segment's rows and of their pattern means, then one record per observation. */
  private async emit(pending: readonly Pending[], Z: Float64Array, means: Float64Array, d: number, out: Output): Promise<void> {
    const n = pending.length;
    if (n === 0) return;
    Z.set(means.subarray(0, n * d), n * d);
    const { spec, estimator, patterns, key } = this.live!;
    const m = modelState(this.stores);
    const scores = await this.score(estimator, key, m.anomaly!, matrix(n, d, Z.subarray(0, n * d)));
    const patternScores = patterns ? await this.score(patterns, `${key}/patterns`, m.pattern_anomaly!, matrix(n, d, Z.subarray(n * d, 2 * n * d))) : null;
    const modelVersion = m.model_version;
    for (let i = 0; i < n; i++) {
      const { item, layer, detail } = pending[i]!;
      const o = item.obs;
      const record: QmptScore = {
        ...observationScore(o, layer, scores, i),
        pattern_anomaly: patternScores ? patternScores.anomaly[i]! : null,
        reflexivity: detail.value,
        r_text: detail.r_text,
        r_dyn: detail.r_dyn,
        degraded: detail.degraded,
        model_version: modelVersion,
        feature_spec_version: spec.version,
        anomaly_version: estimator.version,
        reflexivity_version: this.reflexivity.version,
      };
      out.push(record, item.ts, o.pattern_id);
    }
    this.counters.scored.inc(n);
  }

  /** Â of every row of Z: in the pool's workers when there is a pool (=== the main thread's numbers). */
  private score(estimator: AnomalyEstimator, key: string, state: AnomalyState, Z: Matrix): Promise<RowScores> | RowScores {
    if (this.pool) return this.pool.scoreRows({ key, state }, Z);
    return estimator.batchScore(Z);
  }

  /** The anomaly model refitted on the reservoir; the feature spec stays (pattern states stay comparable). */
  private async refit(): Promise<void> {
    const estimator = await this.fitEstimator(reservoirMatrix(this.stores.reservoir.get('rows')!));
    const patterns = await this.fitPatternReference(patternMeans(this.stores.patterns.entries(), estimator.dim));
    const m = modelState(this.stores);
    m.anomaly = estimator.toState();
    m.pattern_anomaly = patterns?.toState() ?? null;
    m.model_version++;
    m.since_fit = 0;
    this.live = this.open(this.live!.spec, estimator, patterns);
  }

  private fitPatternReference(means: Matrix): Promise<AnomalyEstimator | null> {
    return fitPatternReference(means, this.config.metrics.anomaly, this.pool ? { executor: this.pool.executor } : {});
  }

  private async fitEstimator(X: Matrix): Promise<AnomalyEstimator> {
    const estimator = await AnomalyEstimator.fit(X, this.config.metrics.anomaly, this.pool ? { executor: this.pool.executor } : {});
    this.counters.fits.inc();
    return estimator;
  }

  private open(spec: FeatureSpec, estimator: AnomalyEstimator, patterns: AnomalyEstimator | null): LiveModel {
    return { spec, estimator, patterns, key: `model-${++this.generation}` };
  }

  private reject(out: Output, record: unknown, ts: number, error: string): void {
    const invalid: QmptInvalid = { error, record };
    out.push(invalid, ts, null, 'invalid');
    this.counters.invalid.inc();
  }
}

/** The warmup set's patterns' mean rows (the stores' pattern states start after the first fit). */
function warmupMeans(fitSet: readonly TimedObservation[], X: Matrix): Matrix {
  const sums = new Map<string, { sum: Float64Array; count: number }>();
  fitSet.forEach((e, k) => {
    let p = sums.get(e.obs.pattern_id);
    if (!p) sums.set(e.obs.pattern_id, (p = { sum: new Float64Array(X.cols), count: 0 }));
    for (let j = 0; j < X.cols; j++) p.sum[j] += X.data[k * X.cols + j]!;
    p.count++;
  });
  return patternMeans(sums.entries(), X.cols);
}

function newPattern(reflexivity: ReflexivityEstimator, d: number, o: Observation): PatternState {
  return { reflexivity: reflexivity.initialState(), sum: new Float64Array(d), count: 0, layer_id: o.layer_id ?? null };
}
