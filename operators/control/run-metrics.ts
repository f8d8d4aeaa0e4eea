/**
 * The Teacher's per-run metric values (control/teacher/catalogue.ts) computed
 * in TypeScript from one SensorRow, so a streaming operator can judge runs
 * as they finish without a DuckDB query. Same populations (null outside),
 * same definitions, same aggregates; test/operators/control/run-metrics-parity
 * compares them with the Teacher's SQL on the same rows.
 */
import { METRICS, type Aggregate, type MetricName } from '../../control/teacher/catalogue.ts';
import type { SensorRow } from '../sensor/sensor.ts';
import { containsAnswer, isUnknownAnswer } from '../../streams/emulator/text.ts';

export type AnswerOutcome = 'correct' | 'unknown' | 'wrong';

/** The judged run's outcome as the emulator judges it (catalogue DERIVED_COLUMNS.answer_outcome); null outside judged runs. */
export function answerOutcome(row: SensorRow, markers: readonly string[]): AnswerOutcome | null {
  if (!isQuestion(row) || row.answer === null) return null;
  if (containsAnswer(row.answer, row.golden_answer ?? '')) return 'correct';
  return isUnknownAnswer(row.answer, markers) ? 'unknown' : 'wrong';
}

/** A completed run with golden facts (the catalogue's "question run"). */
function isQuestion(row: SensorRow): boolean {
  return row.status === 'COMPLETED' && row.golden_fact_keys.length > 0;
}

/**
 * |retrieved ∩ golden| as the SQL counts it: list_contains for one golden
 * key, else len(list_intersect(..)), which counts distinct shared keys.
 */
function goldenHits(row: SensorRow): number {
  const golden = row.golden_fact_keys;
  if (golden.length === 1) return row.retrieved_fact_keys.includes(golden[0]!) ? 1 : 0;
  const wanted = new Set(golden);
  const hit = new Set<string>();
  for (const k of row.retrieved_fact_keys) if (wanted.has(k)) hit.add(k);
  return hit.size;
}

/** One run's value of a metric; null when the run is outside the metric's population. */
export function runMetricValue(row: SensorRow, metric: MetricName, markers: readonly string[]): number | null {
  switch (metric) {
    case 'precision_at_k':
      return isQuestion(row) && row.memories_retrieved > 0 ? goldenHits(row) / Math.max(row.retrieved_fact_keys.length, 1) : null;
    case 'recall_at_k':
      return isQuestion(row) ? goldenHits(row) / row.golden_fact_keys.length : null;
    case 'context_utilisation':
      return row.status === 'COMPLETED' && row.memories_retrieved > 0 ? row.memories_used / row.memories_retrieved : null;
    case 'answer_rate':
    case 'hallucination_rate':
    case 'correct_rate': {
      const outcome = answerOutcome(row, markers);
      if (outcome === null) return null;
      if (metric === 'answer_rate') return outcome !== 'unknown' ? 1 : 0;
      return outcome === (metric === 'correct_rate' ? 'correct' : 'wrong') ? 1 : 0;
    }
    case 'latency_p50_ms':
    case 'latency_p95_ms':
      return row.status === 'COMPLETED' && row.latency_ms !== null ? row.latency_ms : null;
    case 'tokens_per_run':
      return row.prompt_tokens + row.completion_tokens;
    case 'error_rate':
      return row.status === 'FAILED' ? 1 : 0;
  }
}

/** The values of several metrics for one run, in the order asked (the answer is judged once). */
export function runMetricValues(row: SensorRow, metrics: readonly MetricName[], markers: readonly string[]): (number | null)[] {
  return metrics.map((m) => runMetricValue(row, m, markers));
}

/** A metric's aggregate over per-run values (its population only); null for no value. */
export function aggregateValues(metric: MetricName, values: readonly number[]): number | null {
  return aggregate(METRICS[metric].aggregate, values);
}

/** mean, or DuckDB's quantile_cont (linear interpolation between the order statistics around q·(n−1)). */
export function aggregate(kind: Aggregate, values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  if (kind === 'mean') {
    let s = 0;
    for (const v of values) s += v;
    return s / n;
  }
  const sorted = Float64Array.from(values).sort();
  const pos = (kind === 'p50' ? 0.5 : 0.95) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}
