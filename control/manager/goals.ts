/**
 * Goals: what the Manager optimises (primary metrics with targets and
 * weights, making Q), what it must never break (constraints) and what it may
 * touch (allowed impact factors; some only with a person's approval). Kept
 * in control.duckdb with their history; the latest is in force.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { Ajv } from 'ajv';
import { MaasflowError } from '../../engine/errors.ts';
import { describeAjvErrors } from '../../engine/schema-errors.ts';
import { IMPACT_FACTORS } from '../../operators/maas/params.ts';
import { METRICS, METRIC_NAMES, type MetricName } from '../teacher/catalogue.ts';
import type { Goal, Initiator } from '../types.ts';

const metric = { enum: [...METRIC_NAMES] } as const;
const factor = { enum: IMPACT_FACTORS.map((f) => f.name) } as const;

export const GOAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'primary', 'constraints', 'allowed_factors'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
    description: { type: 'string', maxLength: 2000 },
    primary: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: { type: 'object', additionalProperties: false, required: ['metric', 'target'], properties: { metric, target: { type: 'number', minimum: 0, maximum: 1 }, weight: { type: 'number', exclusiveMinimum: 0, maximum: 100 } } },
    },
    constraints: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', additionalProperties: false, required: ['metric'], properties: { metric, max: { type: 'number' }, min: { type: 'number' } } },
    },
    allowed_factors: { type: 'array', minItems: 1, uniqueItems: true, items: factor },
    approval_required: { type: 'array', uniqueItems: true, items: factor },
    // what GET /v1/goals returns may be sent back as is; the time is set anew
    updated_at: { type: 'number' },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(GOAL_SCHEMA);

/** The goal of SPEC.md: quality up (precision, recall, correct answers, fewer hallucinations, used context) within latency, error, cost and answer-rate limits. */
export const DEFAULT_GOAL: Omit<Goal, 'updated_at'> = {
  id: 'maas-quality',
  description: 'Retrieve the right memories and answer from them, without hallucinating, within latency, error and cost limits; answer rate is a guard against "I don\'t know" gaming.',
  primary: [
    { metric: 'precision_at_k', target: 0.8, weight: 1 },
    { metric: 'recall_at_k', target: 0.7, weight: 1 },
    { metric: 'correct_rate', target: 0.7, weight: 1 },
    { metric: 'hallucination_rate', target: 0.05, weight: 1 },
    { metric: 'context_utilisation', target: 0.9, weight: 0.5 },
  ],
  constraints: [
    { metric: 'latency_p95_ms', max: 5000 },
    { metric: 'error_rate', max: 0.01 },
    { metric: 'tokens_per_run', max: 1000 },
    { metric: 'answer_rate', min: 0.5 },
  ],
  allowed_factors: ['top_k', 'relevance_weight', 'recency_weight', 'keyword_count', 'token_budget', 'system_prompt_version', 'archivist_min_importance'],
  approval_required: ['system_prompt_version'],
};

/** Validates a goal (parsed JSON); REQUEST_INVALID naming every problem with its path. */
export function parseGoal(json: unknown, where: string, now: number): Goal {
  if (!validate(json)) {
    throw new MaasflowError('REQUEST_INVALID', `${where}: invalid goal: ${describeAjvErrors(validate.errors ?? [])}`);
  }
  const raw = json as Omit<Goal, 'updated_at' | 'description' | 'approval_required' | 'primary'> & { description?: string; approval_required?: Goal['approval_required']; primary: { metric: MetricName; target: number; weight?: number }[] };
  const problems: string[] = [];
  raw.primary.forEach((p, i) => {
    if (METRICS[p.metric].unit !== 'ratio') problems.push(`/primary/${i}/metric: ${p.metric} is in ${METRICS[p.metric].unit}; primary metrics must be ratios (use a constraint for it)`);
  });
  const seen = raw.primary.map((p) => p.metric);
  seen.forEach((m, i) => seen.indexOf(m) !== i && problems.push(`/primary/${i}/metric: ${m} is listed twice`));
  raw.constraints.forEach((c, i) => {
    if (c.max === undefined && c.min === undefined) problems.push(`/constraints/${i}: give max, min or both`);
    if (c.max !== undefined && c.min !== undefined && c.min > c.max) problems.push(`/constraints/${i}: min ${c.min} > max ${c.max}`);
  });
  if (problems.length > 0) throw new MaasflowError('REQUEST_INVALID', `${where}: invalid goal: ${problems.join('; ')}`);
  return {
    id: raw.id,
    description: raw.description ?? '',
    primary: raw.primary.map((p) => ({ metric: p.metric, target: p.target, weight: p.weight ?? 1 })),
    constraints: raw.constraints.map((c) => ({ metric: c.metric, ...(c.max === undefined ? {} : { max: c.max }), ...(c.min === undefined ? {} : { min: c.min }) })),
    allowed_factors: raw.allowed_factors,
    approval_required: raw.approval_required ?? [],
    updated_at: now,
  };
}

/** The goals table: every goal ever set, the latest in force. */
export class GoalStore {
  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(conn: DuckDBConnection, initial: Omit<Goal, 'updated_at'>, now: number): Promise<GoalStore> {
    await conn.run('CREATE TABLE IF NOT EXISTS goals (seq INTEGER PRIMARY KEY, goal JSON NOT NULL, initiator VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)');
    const store = new GoalStore(conn);
    if ((await store.history()).length === 0) await store.set(parseGoal(initial, 'initial goal', now), 'system');
    return store;
  }

  async current(): Promise<Goal> {
    return (await this.history()).at(-1)!;
  }

  async history(): Promise<Goal[]> {
    const rows = (await this.conn.runAndReadAll('SELECT goal::VARCHAR AS goal FROM goals ORDER BY seq')).getRowObjectsJS();
    return rows.map((r) => JSON.parse(String(r.goal)) as Goal);
  }

  async set(goal: Goal, by: Initiator): Promise<Goal> {
    await this.conn.run('INSERT INTO goals SELECT coalesce(max(seq), 0) + 1, $goal::JSON, $by, $at::TIMESTAMP FROM goals', { goal: JSON.stringify(goal), by, at: new Date(goal.updated_at).toISOString() });
    return goal;
  }
}
