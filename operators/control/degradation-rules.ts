/**
 * Degradation rules (docs/DEGRADATION.md): which live metric figures of the
 * active parameter version count as degraded. A YAML/JSON file (or the same
 * object inline in operator params), validated at the boundary: JSON Schema
 * for shapes, then the rules a schema cannot say (unique ids, exactly one
 * drop amount, means only for mSPRT), each error as `file:line path: message`.
 */
import fs from 'node:fs';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { METRIC_NAMES, METRICS, type MetricName } from '../../control/teacher/catalogue.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';

interface RuleBase {
  /** Names the rule in alerts and in the Manager's rollback (`initiator: rule:<id>`). */
  id: string;
  metric: MetricName;
  /** A window (or reference) with fewer runs in the metric's population is not judged. */
  min_values: number;
}

/** The window aggregate above (below) `threshold` for `windows` consecutive windows. */
export interface ThresholdRule extends RuleBase {
  kind: 'above' | 'below';
  threshold: number;
  windows: number;
}

/** The window aggregate worse than the reference version's by more than the allowed change, `windows` windows in a row. */
export interface DropRule extends RuleBase {
  kind: 'drop';
  change: { relative: number } | { absolute: number };
  windows: number;
}

/** mSPRT on per-run values (current vs reference) rejects at `alpha` with the current version worse. */
export interface MsprtRule extends RuleBase {
  kind: 'msprt_worse';
  alpha: number;
  /** Mixing standard deviation of the effect, in the metric's unit (τ² = tau²). */
  tau: number;
  /** The sequential test restarts after this many windows of one version (bounded memory). */
  max_windows: number;
}

export type DegradationRule = ThresholdRule | DropRule | MsprtRule;

export interface DegradationRules {
  /** Where the rules came from (a file, or "inline"). */
  source: string;
  /** Runs per window: consecutive finished runs of one version outside experiments. */
  window_runs: number;
  /** Windows of the reference version kept for drop and mSPRT rules. */
  reference_windows: number;
  /** Lower-case "I don't know" markers; null: the emulator's (config/sim_scenarios.json), as the Teacher judges. */
  unknown_markers: string[] | null;
  rules: DegradationRule[];
}

const RULE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const metric = { enum: [...METRIC_NAMES] } as const;
const common = { id: { type: 'string', pattern: RULE_ID_PATTERN }, metric, min_values: { type: 'integer', minimum: 1 } } as const;
const windows = { type: 'integer', minimum: 1, maximum: 1000 } as const;
const change = { type: 'number', minimum: 0 } as const;

export const DEGRADATION_RULES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    window_runs: { type: 'integer', minimum: 2, maximum: 100_000 },
    reference_windows: { type: 'integer', minimum: 1, maximum: 100 },
    min_values: { type: 'integer', minimum: 1 },
    unknown_markers: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    rules: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['id', 'kind', 'metric'],
        properties: { kind: { enum: ['above', 'below', 'drop', 'msprt_worse'] } },
        // one schema per kind, so a field of another kind is reported as unknown where it stands
        allOf: [
          {
            if: { required: ['kind'], properties: { kind: { enum: ['above', 'below'] } } },
            then: { additionalProperties: false, required: ['threshold'], properties: { ...common, kind: {}, threshold: { type: 'number' }, windows } },
          },
          {
            if: { required: ['kind'], properties: { kind: { const: 'drop' } } },
            then: { additionalProperties: false, properties: { ...common, kind: {}, max_relative_change: change, max_absolute_change: change, windows } },
          },
          {
            if: { required: ['kind'], properties: { kind: { const: 'msprt_worse' } } },
            then: {
              additionalProperties: false,
              required: ['tau'],
              properties: { ...common, kind: {}, alpha: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 }, tau: { type: 'number', exclusiveMinimum: 0 }, max_windows: { type: 'integer', minimum: 1, maximum: 1000 } },
            },
          },
        ],
      },
    },
  },
} as const;

/** The file's shape after the schema passed (defaults not yet applied). */
export interface RawRules {
  window_runs?: number;
  reference_windows?: number;
  min_values?: number;
  unknown_markers?: string[];
  rules: (Record<string, unknown> & { id: string; kind: DegradationRule['kind']; metric: MetricName })[];
}

export const DEFAULTS = { window_runs: 50, reference_windows: 4, min_values: 10, windows: 1, alpha: 0.05, max_windows: 20 } as const;

/** A problem the schema cannot express, at a path inside the rules document. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/** Rules JSON Schema cannot say; `raw` has passed the schema. */
export function ruleProblems(raw: RawRules): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const windowRuns = raw.window_runs ?? DEFAULTS.window_runs;
  const seen = new Set<string>();
  raw.rules.forEach((r, i) => {
    if (seen.has(r.id)) problems.push({ path: ['rules', i, 'id'], message: `rule id "${r.id}" is already used` });
    seen.add(r.id);
    if (r.kind === 'drop' && (r.max_relative_change === undefined) === (r.max_absolute_change === undefined)) {
      problems.push({ path: ['rules', i], message: 'a drop rule needs exactly one of max_relative_change and max_absolute_change' });
    }
    if (r.kind === 'msprt_worse' && METRICS[r.metric].aggregate !== 'mean') {
      problems.push({ path: ['rules', i, 'metric'], message: `msprt_worse tests means; ${r.metric} is a ${METRICS[r.metric].aggregate} (use above or drop)` });
    }
    const minValues = (r.min_values as number | undefined) ?? raw.min_values ?? DEFAULTS.min_values;
    if (minValues > windowRuns) problems.push({ path: ['rules', i, ...(r.min_values === undefined ? [] : ['min_values'])], message: `min_values ${minValues} exceeds window_runs ${windowRuns}: no window could be judged` });
  });
  return problems;
}

/** Reads and validates a rules file; throws ValidationErrors listing every problem as `file:line /path: message`. */
export function loadDegradationRules(file: string): DegradationRules {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationErrors([new MaasflowError('CONFIG', `cannot read degradation rules: ${(err as Error).message}`, { location: { file } })]);
  }
  return parseDegradationRules(file, text);
}

/** Validates rules given as YAML or JSON text. */
export function parseDegradationRules(file: string, text: string): DegradationRules {
  const { source, errors } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(errors);
  return fromSource(source, file);
}

/** Validates rules given as an object (inline operator params, tests); errors name the path only. */
export function degradationRules(data: unknown, where = 'inline rules'): DegradationRules {
  const parsed = SourceFile.parse(where, JSON.stringify(data ?? null), 'CONFIG');
  try {
    return fromSource(parsed.source!, where);
  } catch (err) {
    if (!(err instanceof ValidationErrors)) throw err;
    // the text was our own one-line rendering: its line numbers mean nothing to the caller
    throw new ValidationErrors(err.errors.map((e) => new MaasflowError(e.code, e.message, { location: { file: where, ...(e.location?.path === undefined ? {} : { path: e.location.path }) } })));
  }
}

function fromSource(source: SourceFile, where: string): DegradationRules {
  const structural = validateAgainst(DEGRADATION_RULES_SCHEMA, source.data, source, [], 'CONFIG');
  if (structural.length > 0) throw new ValidationErrors(structural);
  const raw = source.data as RawRules;
  const problems = ruleProblems(raw);
  if (problems.length > 0) throw new ValidationErrors(problems.map((p) => source.error('CONFIG', p.path, p.message)));
  return normalize(raw, where);
}

function normalize(raw: RawRules, source: string): DegradationRules {
  const minValues = raw.min_values ?? DEFAULTS.min_values;
  const rules = raw.rules.map((r): DegradationRule => {
    const base = { id: r.id, metric: r.metric, min_values: (r.min_values as number | undefined) ?? minValues };
    const n = (key: string): number | undefined => r[key] as number | undefined;
    switch (r.kind) {
      case 'above':
      case 'below':
        return { ...base, kind: r.kind, threshold: n('threshold')!, windows: n('windows') ?? DEFAULTS.windows };
      case 'drop': {
        const relative = n('max_relative_change');
        return { ...base, kind: 'drop', change: relative === undefined ? { absolute: n('max_absolute_change')! } : { relative }, windows: n('windows') ?? DEFAULTS.windows };
      }
      case 'msprt_worse':
        return { ...base, kind: 'msprt_worse', alpha: n('alpha') ?? DEFAULTS.alpha, tau: n('tau')!, max_windows: n('max_windows') ?? DEFAULTS.max_windows };
    }
  });
  return {
    source,
    window_runs: raw.window_runs ?? DEFAULTS.window_runs,
    reference_windows: raw.reference_windows ?? DEFAULTS.reference_windows,
    unknown_markers: raw.unknown_markers ? raw.unknown_markers.map((m) => m.toLowerCase()) : null,
    rules,
  };
}
