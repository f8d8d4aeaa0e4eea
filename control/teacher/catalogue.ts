/**
 * The Teacher's metric catalogue: what each quality metric means and the SQL
 * that computes it over `sensor_runs`. docs/METRICS.md explains every entry;
 * its SQL blocks are generated from this file (control/teacher/doc.ts) and a
 * test keeps them in sync.
 *
 * Every metric is a per-run value (NULL for runs outside the metric's
 * population) and an aggregate over those values, so the statistics layer
 * can test per-run values and the dashboard can show aggregates from the
 * same definition.
 */
import { MaasflowError } from '../../engine/errors.ts';

export const METRIC_NAMES = [
  'precision_at_k',
  'recall_at_k',
  'context_utilisation',
  'answer_rate',
  'hallucination_rate',
  'correct_rate',
  'latency_p50_ms',
  'latency_p95_ms',
  'tokens_per_run',
  'error_rate',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** How a metric's per-run values become one figure per group. */
export type Aggregate = 'mean' | 'p50' | 'p95';

/** Columns the judged relation adds to each sensor row (see DERIVED_COLUMNS). */
export type JudgedColumn = 'is_question' | 'golden_hits' | 'answer_outcome';

export interface MetricDefinition {
  readonly name: MetricName;
  readonly title: string;
  /** Which way is better: the Tuner maximises `higher` metrics and minimises `lower` ones. */
  readonly direction: 'higher' | 'lower';
  readonly unit: 'ratio' | 'ms' | 'tokens';
  /** The runs that have a value (the denominator), in words. */
  readonly population: string;
  /** One run's value, in words. */
  readonly perRun: string;
  readonly aggregate: Aggregate;
  /** The definition as a formula (plain text). */
  readonly formula: string;
  /**
   * SQL predicate over the judged relation selecting the population (null:
   * every run). Cheap columns only: per-run queries filter with it.
   */
  readonly where: string | null;
  /** SQL: the value of a run of the population, as DOUBLE. Fixed text: no input goes in. */
  readonly expr: string;
  /** `CASE WHEN where THEN expr END`: the value, NULL outside the population (what aggregates read). */
  readonly value: string;
  /** Derived columns `where` and `expr` read (only those are computed). */
  readonly needs: readonly JudgedColumn[];
}

/** DuckDB's form of streams/emulator/text.ts normalize() on lower-cased text: runs of non-letters/digits to one space, trimmed. */
export const wordsSql = (lowered: string): string => String.raw`trim(regexp_replace(${lowered}, '[^\p{L}\p{N}]+', ' ', 'g'))`;

/** A completed run of a question with known golden facts (the emulator's question turns). */
const QUESTION = `status = 'COMPLETED' AND len(golden_fact_keys) > 0`;
/** ... that returned an answer (the emulator judges only those: a null answer is a failed turn). */
const JUDGEABLE = `${QUESTION} AND answer IS NOT NULL`;

/** A derived column: its SQL, the level it is computed at (1: over sensor_runs, 2: over level 1) and the derived columns it reads. */
export interface DerivedColumn {
  readonly sql: string;
  readonly level: 1 | 2;
  readonly needs: readonly DerivedName[];
}
export type DerivedName = JudgedColumn | 'answer_padded' | 'golden_norm';

/** Letters and digits (Unicode), as normalize() in streams/emulator/text.ts keeps them. */
const WORD = String.raw`[\p{L}\p{N}]`;

/** A golden answer that is already normalized but for case: words of letters and digits separated by single spaces. */
const PLAIN_GOLDEN = `'${WORD}+( ${WORD}+)*'`;

/**
 * The columns the Teacher derives from a sensor row, each NULL outside its
 * population so that only the rows that need it pay for it (DuckDB
 * evaluates CASE branches lazily). Level 1 reads sensor_runs, level 2 level 1.
 * - golden_hits: |retrieved_fact_keys ∩ golden_fact_keys| (the sensor's lists
 *   hold distinct keys); for the usual single golden fact a list_contains,
 *   ~4× cheaper than list_intersect.
 * - answer_padded: lower(answer) with a space each side.
 * - golden_norm: normalize(golden_answer); a golden answer that is already
 *   plain words is only lower-cased (the same result without the regex replace).
 * - answer_outcome: the emulator's judgement of a judged run (dialogue.ts
 *   observe()): 'correct' when containsAnswer(answer, golden_answer) (the
 *   golden answer's words appear among the answer's as whole words; never
 *   for an empty golden answer), else 'unknown' when isUnknownAnswer(answer,
 *   markers) ($unknown_pattern: the markers as one regular expression,
 *   unknownMarkersPattern()), else 'wrong'. normalize(answer) costs a regex
 *   replace (~1 µs a row), so two exact shortcuts decide most rows first:
 *   the golden words appear in the padded answer after a space and before a
 *   space, '.' or ',': correct; the first golden word does not appear in it
 *   at all: not correct. The unknown markers are matched only on answers
 *   that are not correct.
 */
export const DERIVED_COLUMNS: Readonly<Record<DerivedName, DerivedColumn>> = {
  is_question: { sql: QUESTION, level: 1, needs: [] },
  golden_hits: {
    sql: `CASE WHEN ${QUESTION} THEN
           CASE WHEN len(golden_fact_keys) = 1 THEN list_contains(retrieved_fact_keys, golden_fact_keys[1])::INTEGER
                ELSE len(list_intersect(retrieved_fact_keys, golden_fact_keys)) END END`,
    level: 1,
    needs: [],
  },
  answer_padded: { sql: `CASE WHEN ${JUDGEABLE} THEN ' ' || lower(answer) || ' ' END`, level: 1, needs: [] },
  golden_norm: {
    sql: `CASE WHEN ${JUDGEABLE} THEN
           CASE WHEN regexp_full_match(golden_answer, ${PLAIN_GOLDEN}) THEN lower(golden_answer)
                ELSE ${wordsSql(`lower(coalesce(golden_answer, ''))`)} END END`,
    level: 1,
    needs: [],
  },
  answer_outcome: {
    sql: `CASE WHEN golden_norm IS NULL THEN NULL
              WHEN golden_norm <> '' AND CASE WHEN contains(answer_padded, ' ' || golden_norm || ' ') THEN true
                                              WHEN contains(answer_padded, ' ' || golden_norm || '.') THEN true
                                              WHEN contains(answer_padded, ' ' || golden_norm || ',') THEN true
                                              WHEN NOT contains(answer_padded, split_part(golden_norm, ' ', 1)) THEN false
                                              ELSE contains(' ' || ${wordsSql('answer_padded')} || ' ', ' ' || golden_norm || ' ') END THEN 'correct'
              WHEN regexp_matches(lower(answer), $unknown_pattern) THEN 'unknown'
              ELSE 'wrong' END`,
    level: 2,
    needs: ['answer_padded', 'golden_norm'],
  },
};

/**
 * The unknown markers as one RE2 pattern for `$unknown_pattern`: each marker
 * literal (metacharacters escaped), its straight apostrophes matching curly
 * ones too (the emulator unifies ‘ and ’ to ' before comparing), joined by |.
 */
export function unknownMarkersPattern(markers: readonly string[]): string {
  return markers.map((m) => m.toLowerCase().replace(/[\\^$.|?*+()[\]{}]/g, '\\$&').replace(/['\u2018\u2019]/g, "['‘’]")).join('|');
}

const PRECISION = 'is_question AND memories_retrieved > 0';

const defs: readonly MetricDefinition[] = [
  define({
    name: 'precision_at_k',
    title: 'Retrieval precision@k',
    direction: 'higher',
    unit: 'ratio',
    population: 'completed question runs that retrieved at least one memory; a run that retrieved nothing has no precision (0/0) and counts 0 in recall instead',
    perRun: 'the share of the distinct fact keys of the k retrieved memories that are golden; 0 when the retrieved memories carry no fact key at all',
    aggregate: 'mean',
    formula: 'precision = |R ∩ G| / max(|R|, 1), R = retrieved_fact_keys, G = golden_fact_keys; the mean over runs',
    where: PRECISION,
    expr: 'golden_hits / greatest(len(retrieved_fact_keys), 1)',
    needs: ['is_question', 'golden_hits'],
  }),
  define({
    name: 'recall_at_k',
    title: 'Retrieval recall@k',
    direction: 'higher',
    unit: 'ratio',
    population: 'completed question runs, those that retrieved nothing included (value 0)',
    perRun: 'the share of the golden fact keys found among the fact keys of the k retrieved memories',
    aggregate: 'mean',
    formula: 'recall = |R ∩ G| / |G|; the mean over runs',
    where: 'is_question',
    expr: 'golden_hits / len(golden_fact_keys)',
    needs: ['is_question', 'golden_hits'],
  }),
  define({
    name: 'context_utilisation',
    title: 'Context utilisation',
    direction: 'higher',
    unit: 'ratio',
    population: 'completed runs (questions or not) that retrieved at least one memory',
    perRun: 'memories the Responder used for its answer / memories retrieved into its context',
    aggregate: 'mean',
    formula: 'utilisation = memories_used / memories_retrieved; the mean over runs',
    where: `status = 'COMPLETED' AND memories_retrieved > 0`,
    expr: 'memories_used / memories_retrieved',
    needs: [],
  }),
  define({
    name: 'answer_rate',
    title: 'Answer rate',
    direction: 'higher',
    unit: 'ratio',
    population: 'completed question runs with an answer',
    perRun: '1 when the run answered: its answer contains the golden answer or says no "I don\'t know"; else 0',
    aggregate: 'mean',
    formula: "answered = (outcome <> 'unknown'); the mean over runs (= correct_rate + hallucination_rate)",
    where: JUDGEABLE,
    expr: `CAST(answer_outcome <> 'unknown' AS DOUBLE)`,
    needs: ['answer_outcome'],
  }),
  define({
    name: 'hallucination_rate',
    title: 'Hallucination rate',
    direction: 'lower',
    unit: 'ratio',
    population: 'completed question runs with an answer, "I don\'t know" answers included (as 0)',
    perRun: '1 when the answer neither contains the golden answer nor says "I don\'t know"; else 0',
    aggregate: 'mean',
    formula: "hallucinated = (outcome = 'wrong'); the mean over runs",
    where: JUDGEABLE,
    expr: `CAST(answer_outcome = 'wrong' AS DOUBLE)`,
    needs: ['answer_outcome'],
  }),
  define({
    name: 'correct_rate',
    title: 'Correct-answer rate',
    direction: 'higher',
    unit: 'ratio',
    population: 'completed question runs with an answer',
    perRun: '1 when the answer contains the golden answer (whole words, case and punctuation ignored); else 0',
    aggregate: 'mean',
    formula: "correct = (outcome = 'correct'); the mean over runs",
    where: JUDGEABLE,
    expr: `CAST(answer_outcome = 'correct' AS DOUBLE)`,
    needs: ['answer_outcome'],
  }),
  define({
    name: 'latency_p50_ms',
    title: 'Latency p50',
    direction: 'lower',
    unit: 'ms',
    population: 'completed runs whose start was recorded (latency_ms not null)',
    perRun: 'latency_ms = ended_at − started_at',
    aggregate: 'p50',
    formula: 'the median of latency_ms (quantile_cont: linear interpolation between order statistics)',
    where: `status = 'COMPLETED' AND latency_ms IS NOT NULL`,
    expr: 'CAST(latency_ms AS DOUBLE)',
    needs: [],
  }),
  define({
    name: 'latency_p95_ms',
    title: 'Latency p95',
    direction: 'lower',
    unit: 'ms',
    population: 'completed runs whose start was recorded (latency_ms not null)',
    perRun: 'latency_ms = ended_at − started_at',
    aggregate: 'p95',
    formula: 'the 95th percentile of latency_ms (quantile_cont: linear interpolation)',
    where: `status = 'COMPLETED' AND latency_ms IS NOT NULL`,
    expr: 'CAST(latency_ms AS DOUBLE)',
    needs: [],
  }),
  define({
    name: 'tokens_per_run',
    title: 'Token cost per run',
    direction: 'lower',
    unit: 'tokens',
    population: 'every run, failed ones included (a failed run spent its tokens too)',
    perRun: 'prompt_tokens + completion_tokens of the run (every model call that finished)',
    aggregate: 'mean',
    formula: 'tokens = prompt_tokens + completion_tokens; the mean over runs',
    where: null,
    expr: 'CAST(prompt_tokens + completion_tokens AS DOUBLE)',
    needs: [],
  }),
  define({
    name: 'error_rate',
    title: 'Error rate',
    direction: 'lower',
    unit: 'ratio',
    population: 'every run',
    perRun: '1 when the run ended FAILED (its retries exhausted); else 0',
    aggregate: 'mean',
    formula: "failed = (status = 'FAILED'); the mean over runs",
    where: null,
    expr: `CAST(status = 'FAILED' AS DOUBLE)`,
    needs: [],
  }),
];

function define(d: Omit<MetricDefinition, 'value'>): MetricDefinition {
  return { ...d, value: d.where === null ? d.expr : `CASE WHEN ${d.where} THEN ${d.expr} END` };
}

export const METRICS: Readonly<Record<MetricName, MetricDefinition>> = Object.fromEntries(defs.map((d) => [d.name, d])) as Record<MetricName, MetricDefinition>;

export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** The definition of a metric; an unknown name is refused with the known ones listed. */
export function metricDefinition(name: string): MetricDefinition {
  if (typeof name !== 'string' || !isMetricName(name)) {
    throw new MaasflowError('METRIC_UNKNOWN', `unknown metric ${JSON.stringify(name)}; known metrics: ${METRIC_NAMES.join(', ')}`);
  }
  return METRICS[name];
}

/** The SQL aggregate of a metric over a column holding its per-run values. */
export function aggregateSql(def: MetricDefinition, column: string): string {
  switch (def.aggregate) {
    case 'mean':
      return `avg(${column})`;
    case 'p50':
      return `quantile_cont(${column}, 0.5)`;
    case 'p95':
      return `quantile_cont(${column}, 0.95)`;
  }
}
