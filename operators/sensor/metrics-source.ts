import { registerMetricsSource } from '../../engine/metrics-export.ts';
import { withSensorDb } from './history.ts';

/**
 * Exports the latest judge agreement rates found in a sensor DuckDB file
 * (table judge_agreement, written by `maasflow teacher judge`) as gauges
 * `maasflow_judge_agreement{judge_a, judge_b, aspect}`; nothing while the
 * table does not exist.
 */
export function exportJudgeAgreement(sensorFile: string): () => void {
  return registerMetricsSource('judge-agreement', () =>
    withSensorDb(sensorFile, async (conn) => {
      const exists = (await conn.runAndReadAll(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'judge_agreement'`)).getRowObjectsJS()[0]!;
      if (Number(exists.n) === 0) return '';
      const rows = (await conn.runAndReadAll('SELECT judge_a, judge_b, aspect, n, agreement FROM judge_agreement QUALIFY row_number() OVER (PARTITION BY judge_a, judge_b, aspect ORDER BY judged_at DESC) = 1 ORDER BY ALL')).getRowObjectsJS();
      const lines = ['# HELP maasflow_judge_agreement Share of judgements two judges agree on (latest judging).', '# TYPE maasflow_judge_agreement gauge'];
      for (const r of rows) if (r.agreement !== null) lines.push(`maasflow_judge_agreement{judge_a="${String(r.judge_a)}",judge_b="${String(r.judge_b)}",aspect="${String(r.aspect)}"} ${Number(r.agreement)}`);
      return `${lines.join('\n')}\n`;
    }),
  );
}
