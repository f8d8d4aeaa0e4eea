/**
 * qmpt-score: QMPT observations (qmpt.Observation@1) in, one score record per
 * observation out (docs/QMPT.md, "Streaming"): Â of its feature row and of
 * its pattern's mean row, the pattern's R̂_norm so far, and the versions they
 * were computed with; keyed by pattern_id at the observation's event time.
 *
 * - Records that are no valid observation go to the `invalid` port as
 *   { error, record }, the error naming the field; nothing else changes.
 * - The first `warmup` valid observations wait (in a store); then the
 *   feature spec is fitted on them once and for all (the feature space stays
 *   fixed, so pattern sums and reflexivity windows stay comparable), the
 *   anomaly model on their rows, and they are scored in arrival order.
 * - Every `refit_every` observations the anomaly model is refitted on a
 *   uniform reservoir of `reservoir` feature rows; model_version counts fits.
 * - `threads` > 0 scores in a pool of that many workers (=== numbers).
 *
 * The work is in score-runner.ts, the stores in score-state.ts.
 */
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { loadConfig, parseConfig } from '../../qmpt/config/loader.ts';
import { featureSpecFromConfig } from '../../qmpt/features/registry.ts';
import type { QmptConfig } from '../../qmpt/types.ts';
import { defineOperator } from '../definition.ts';
import { createQmptPool } from './pool.ts';
import { ScoreRunner, type ScoreSettings } from './score-runner.ts';

export type { QmptInvalid, QmptScore } from './score-records.ts';

export interface QmptScoreParams {
  /** A QMPT config file (path, or the name of a shipped one) or the config inline; default "metrics_default". */
  config?: string | Record<string, unknown>;
  /** Valid observations before the first fit (default 256). */
  warmup?: number;
  /** Observations between refits of the anomaly model; 0 = never (default 5000). */
  refit_every?: number;
  /** Feature rows kept for refits (default 4096). */
  reservoir?: number;
  /** 0: score on the main thread (default); N: in a pool of N workers. */
  threads?: number;
  /** Seeds the reservoir's draws (default: metrics.anomaly.seed of the config). */
  seed?: number;
}

export const QMPT_SCORE_DEFAULTS = { config: 'metrics_default', warmup: 256, refit_every: 5000, reservoir: 4096, threads: 0 } as const;

/** The config the params name; `where` names an inline one in errors. Throws ValidationErrors naming file, line and path. */
export function scoreConfig(p: QmptScoreParams, where: string): QmptConfig {
  const config = p.config ?? QMPT_SCORE_DEFAULTS.config;
  return typeof config === 'string' ? loadConfig(config) : parseConfig(config, `${where} params.config`);
}

export function scoreSettings(p: QmptScoreParams, config: QmptConfig): ScoreSettings {
  return {
    warmup: p.warmup ?? QMPT_SCORE_DEFAULTS.warmup,
    refitEvery: p.refit_every ?? QMPT_SCORE_DEFAULTS.refit_every,
    reservoir: p.reservoir ?? QMPT_SCORE_DEFAULTS.reservoir,
    seed: p.seed ?? config.metrics.anomaly.seed,
  };
}

export const qmptScoreOperator = defineOperator<QmptScoreParams>({
  type: 'qmpt-score',
  summary: 'QMPT anomaly and reflexivity scores per observation (docs/QMPT.md), the density model refitted on a schedule',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      config: { oneOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] },
      warmup: { type: 'integer', minimum: 2 },
      refit_every: { type: 'integer', minimum: 0 },
      reservoir: { type: 'integer', minimum: 2 },
      threads: { type: 'integer', minimum: 0, maximum: 256 },
      seed: { type: 'integer' },
    },
  },
  keyEffect: 'sets',
  ports: () => ['out', 'invalid'],
  describe: (p) => ({
    keyBy: 'value.pattern_id',
    notes:
      `Â and R̂_norm per observation by ${typeof p.config === 'object' ? 'an inline config' : (p.config ?? QMPT_SCORE_DEFAULTS.config)}; ` +
      `first fit after ${p.warmup ?? QMPT_SCORE_DEFAULTS.warmup} observations, ` +
      `${(p.refit_every ?? QMPT_SCORE_DEFAULTS.refit_every) === 0 ? 'never refitted' : `refitted every ${p.refit_every ?? QMPT_SCORE_DEFAULTS.refit_every} on a ${p.reservoir ?? QMPT_SCORE_DEFAULTS.reservoir}-row reservoir`}; ` +
      `invalid records on port invalid`,
  }),
  // the config is read at validation too, so a bad file fails `maasflow validate`, not the first fit
  check(p) {
    try {
      featureSpecFromConfig(scoreConfig(p, 'qmpt-score').features);
      return [];
    } catch (err) {
      if (err instanceof ValidationErrors) return [{ path: 'config', message: err.errors.map((e) => e.format()).join('; ') }];
      if (err instanceof MaasflowError) return [{ path: 'config', message: err.format() }];
      throw err;
    }
  },
  create(p, ctx) {
    const config = scoreConfig(p, `qmpt-score "${ctx.id}"`);
    const threads = p.threads ?? QMPT_SCORE_DEFAULTS.threads;
    const pool = threads > 0 ? createQmptPool({ threads }) : null;
    let runner: ScoreRunner;
    try {
      runner = new ScoreRunner(ctx, config, scoreSettings(p, config), pool);
    } catch (err) {
      void pool?.close();
      throw err;
    }
    return {
      process: (batch, _input, out) => runner.process(batch, out),
      onRestore: () => runner.restore(),
      onClose: (out) => runner.close(out),
      release: () => pool?.close(),
    };
  },
});
