import type { DuckDBConnection } from '@duckdb/node-api';
import type { EmbeddedLog } from '../../streams/log/index.ts';
import type { ExperimentResult } from './analyze.ts';
import type { Agreement, Judgement } from './judges.ts';

/** Topic of the embedded log the Teacher's verdicts go to (one JSON record per analysis, keyed by experiment id). */
export const VERDICTS_TOPIC = 'teacher.verdicts';

const DDL = `
CREATE TABLE IF NOT EXISTS experiment_verdicts (
  experiment_id VARCHAR NOT NULL, analyzed_at TIMESTAMP NOT NULL, verdict VARCHAR NOT NULL, design VARCHAR NOT NULL,
  baseline VARCHAR NOT NULL, alpha DOUBLE NOT NULL, srm_p_value DOUBLE, srm_mismatch BOOLEAN,
  recommendation JSON NOT NULL, result JSON NOT NULL, PRIMARY KEY (experiment_id, analyzed_at));
CREATE TABLE IF NOT EXISTS experiment_results (
  experiment_id VARCHAR NOT NULL, analyzed_at TIMESTAMP NOT NULL, variant VARCHAR NOT NULL, metric VARCHAR NOT NULL,
  role VARCHAR NOT NULL, variant_verdict VARCHAR NOT NULL, test VARCHAR NOT NULL,
  n_baseline INTEGER NOT NULL, n_variant INTEGER NOT NULL, baseline_value DOUBLE, variant_value DOUBLE,
  delta DOUBLE, relative_delta DOUBLE, mean_diff DOUBLE, ci_low DOUBLE, ci_high DOUBLE,
  p_value DOUBLE, p_adjusted DOUBLE, significant BOOLEAN NOT NULL, improved BOOLEAN NOT NULL, worsened BOOLEAN NOT NULL,
  guardrail_violated BOOLEAN,
  PRIMARY KEY (experiment_id, analyzed_at, variant, metric, role));`;

/**
 * Stores one analysis: a row in experiment_verdicts (the verdict, the
 * recommendation and the whole result as JSON) and one row per variant and
 * metric in experiment_results, in one transaction. Every value is a bound
 * parameter. Analysing again at another time adds rows: the history of verdicts.
 */
export async function saveExperimentResult(conn: DuckDBConnection, r: ExperimentResult): Promise<void> {
  await conn.run(DDL);
  await conn.run('BEGIN TRANSACTION');
  try {
    const at = new Date(r.analyzed_at).toISOString();
    await conn.run(
      'INSERT OR REPLACE INTO experiment_verdicts VALUES ($id, $at::TIMESTAMP, $verdict, $design, $baseline, $alpha, $srm_p, $srm_mismatch, $recommendation::JSON, $result::JSON)',
      {
        id: r.experiment_id,
        at,
        verdict: r.verdict,
        design: r.design,
        baseline: r.baseline,
        alpha: r.alpha,
        srm_p: r.srm?.p_value ?? null,
        srm_mismatch: r.srm?.mismatch ?? null,
        recommendation: JSON.stringify(r.recommendation),
        result: JSON.stringify(r),
      },
    );
    for (const v of r.variants) {
      for (const c of [...v.primary, ...v.guardrails]) {
        await conn.run(
          `INSERT OR REPLACE INTO experiment_results VALUES ($id, $at::TIMESTAMP, $variant, $metric, $role, $verdict, $test, $nb, $nv, $bv, $vv,
             $delta, $rel, $md, $lo, $hi, $p, $padj, $sig, $imp, $wor, $gv)`,
          {
            id: r.experiment_id,
            at,
            variant: v.variant,
            metric: c.metric,
            role: c.role,
            verdict: v.verdict,
            test: c.test,
            nb: c.baseline.n,
            nv: c.variant.n,
            bv: c.baseline.value,
            vv: c.variant.value,
            delta: c.delta,
            rel: c.relative_delta,
            md: c.mean_diff,
            lo: c.ci?.[0] ?? null,
            hi: c.ci?.[1] ?? null,
            p: c.p_value,
            padj: c.p_adjusted,
            sig: c.significant,
            imp: c.improved,
            wor: c.worsened,
            gv: c.limit?.violated ?? null,
          },
        );
      }
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}

/** Emits the analysis as an event on the embedded log (JSON, keyed by experiment id). */
export function publishExperimentResult(log: EmbeddedLog, r: ExperimentResult): void {
  if (!log.hasTopic(VERDICTS_TOPIC)) log.createTopic(VERDICTS_TOPIC, { partitions: 1 });
  log.appendByKey(VERDICTS_TOPIC, [{ key: Buffer.from(r.experiment_id), value: Buffer.from(JSON.stringify(r)), timestamp: r.analyzed_at }]);
}

/** Stores judgements (`judgements`: one row per run and judge) and the judges' agreement (`judge_agreement`), with bound parameters. */
export async function saveJudgements(conn: DuckDBConnection, judgedAt: number, judgements: readonly Judgement[], agreements: readonly Agreement[]): Promise<void> {
  await conn.run(`
    CREATE TABLE IF NOT EXISTS judgements (run_id VARCHAR NOT NULL, judge VARCHAR NOT NULL, judged_at TIMESTAMP NOT NULL,
      relevant_share DOUBLE, utilisation DOUBLE, hallucination BOOLEAN, PRIMARY KEY (run_id, judge));
    CREATE TABLE IF NOT EXISTS judge_agreement (judged_at TIMESTAMP NOT NULL, judge_a VARCHAR NOT NULL, judge_b VARCHAR NOT NULL,
      aspect VARCHAR NOT NULL, n INTEGER NOT NULL, agreement DOUBLE, PRIMARY KEY (judged_at, judge_a, judge_b, aspect));`);
  const at = new Date(judgedAt).toISOString();
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const j of judgements) {
      await conn.run('INSERT OR REPLACE INTO judgements VALUES ($run, $judge, $at::TIMESTAMP, $rel, $util, $hall)', {
        run: j.run_id,
        judge: j.judge,
        at,
        rel: j.relevant && j.relevant.length > 0 ? j.relevant.filter(Boolean).length / j.relevant.length : null,
        util: j.utilisation,
        hall: j.hallucination,
      });
    }
    for (const a of agreements) {
      for (const [aspect, n, value] of [['hallucination', a.hallucination.runs, a.hallucination.agreement], ['relevance', a.relevance.memories, a.relevance.agreement]] as const) {
        await conn.run('INSERT OR REPLACE INTO judge_agreement VALUES ($at::TIMESTAMP, $a, $b, $aspect, $n, $value)', { at, a: a.judges[0], b: a.judges[1], aspect, n, value });
      }
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK');
    throw err;
  }
}
