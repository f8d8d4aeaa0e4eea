import type { ExperimentResult, MetricComparison } from './analyze.ts';
import type { ExperimentSpec } from './experiment-spec.ts';

/** The analysis as a person reads it: verdict first, then per variant each metric with its change, interval and p-values. */
export function formatExperimentResult(spec: ExperimentSpec, r: ExperimentResult): string[] {
  const lines: string[] = [];
  const test = r.design === 'sequential' ? 'mSPRT (always-valid p)' : spec.test === 'welch' ? 'Welch t-test' : 'Mann-Whitney U';
  lines.push(`experiment ${r.experiment_id}: ${r.verdict.toUpperCase()}  (${r.design.replace('_', ' ')}, ${test}, ${spec.correction === 'bh' ? 'Benjamini-Hochberg' : 'Holm'}, alpha ${r.alpha})`);
  lines.push(`  goal: ${spec.goal}`);
  const arms = Object.entries(r.arms).map(([name, a]) => `${name} ${a.units} ${spec.assignment.unit === 'user_id' ? 'users' : 'threads'} / ${a.runs} runs`);
  lines.push(`  arms: ${arms.length > 0 ? arms.join(', ') : 'no runs of this experiment in the sensor history'}${r.srm ? `; sample ratio p = ${fmtP(r.srm.p_value)}${r.srm.mismatch ? ' MISMATCH' : ''}` : ''}`);
  for (const v of r.variants) {
    lines.push(`  ${v.variant} vs ${r.baseline}: ${v.verdict}${v.required_n_per_arm !== null ? ` (about ${v.required_n_per_arm} runs per arm detect the mde of ${spec.success.mde} at power ${spec.success.power})` : ''}`);
    for (const c of [...v.primary, ...v.guardrails]) lines.push(`    ${formatComparison(c)}`);
    for (const reason of v.reasons) lines.push(`    - ${reason}`);
  }
  const rec = r.recommendation;
  if (rec.action === 'update_params') {
    lines.push(`  recommendation: update_params ${rec.changes.map((c) => `${c.param} ${c.from} -> ${c.to}`).join(', ')}`);
    lines.push(`    rollback if ${rec.rollback_conditions.map((c) => `${c.metric} ${c.direction === 'drop' ? 'drops' : 'rises'} more than ${c.max_absolute_change ?? `${(c.max_relative_change ?? 0) * 100} %`}`).join(' or ')} over ${rec.rollback_conditions[0]?.cycles ?? 0} cycles`);
  } else {
    lines.push('  recommendation: keep_params (no variant won)');
  }
  return lines;
}

function formatComparison(c: MetricComparison): string {
  const role = c.role === 'guardrail' ? `guardrail ${c.limit?.absolute !== undefined ? `±${c.limit.absolute}` : `${(c.limit?.relative ?? 0) * 100} %`}: ${c.limit?.violated ? 'VIOLATED' : 'ok'}` : '';
  const change = c.delta === null ? 'n/a' : `${sign(c.delta)}${c.relative_delta !== null ? ` (${c.relative_delta >= 0 ? '+' : ''}${(c.relative_delta * 100).toFixed(1)} %)` : ''}`;
  const ci = c.ci ? `  CI [${sign(c.ci[0])}, ${sign(c.ci[1])}]` : '';
  const p = c.p_value === null ? '  no test' : `  p ${fmtP(c.p_value)}${c.p_adjusted !== null ? `  p_adj ${fmtP(c.p_adjusted)}` : ''}`;
  const mark = c.improved ? '  better' : c.worsened ? '  worse' : '';
  return `${c.metric.padEnd(20)} ${fmt(c.baseline.value)} -> ${fmt(c.variant.value)}  ${change}${ci}${p}${mark}${role ? `  ${role}` : ''}  (n ${c.baseline.n} / ${c.variant.n})`;
}

const fmt = (x: number | null): string => (x === null ? 'n/a' : Number.isInteger(x) ? String(x) : x.toPrecision(3));
const sign = (x: number): string => `${x >= 0 ? '+' : ''}${Number.isInteger(x) ? x : x.toPrecision(3)}`;
const fmtP = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
