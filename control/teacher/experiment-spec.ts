import fs from 'node:fs';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { PARAMS_SCHEMA, validateParams } from '../../operators/maas/params.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import type { RunningExperiment } from '../../operators/maas/param-source.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import { METRIC_NAMES, type MetricName } from './catalogue.ts';

/** One arm of an experiment: its name and its changes to the active parameter version. */
export interface ArmSpec { name: string; params: Partial<MaasParams> }

export interface GuardrailSpec {
  metric: MetricName;
  /** Largest allowed worsening relative to the baseline (0.2 = 20 %). */
  max_relative_change?: number;
  /** Largest allowed worsening in the metric's unit. */
  max_absolute_change?: number;
}

/** An experiment spec file, validated (docs/EXPERIMENTS.md). */
export interface ExperimentSpec {
  file: string;
  id: string;
  goal: string;
  baseline: ArmSpec;
  variants: ArmSpec[];
  assignment: { unit: 'user_id' | 'thread_id'; split: Record<string, number>; salt: string };
  primary_metrics: MetricName[];
  guardrails: GuardrailSpec[];
  success: { mde: number; alpha: number; power: number };
  design: 'fixed_horizon' | 'sequential';
  test: 'welch' | 'mann_whitney';
  correction: 'holm' | 'bh';
  /** mSPRT mixing standard deviation, in units of the metric (sequential design; default: the mde). */
  tau?: number;
}

export const EXPERIMENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' } as const;
const metric = { enum: [...METRIC_NAMES] } as const;
const arm = { type: 'object', additionalProperties: false, required: ['name'], properties: { name, params: PARAMS_SCHEMA } } as const;

export const EXPERIMENT_SPEC_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'goal', 'baseline', 'variants', 'assignment', 'primary_metrics', 'success'],
  properties: {
    id: { type: 'string', pattern: EXPERIMENT_ID_PATTERN },
    goal: { type: 'string', minLength: 1, maxLength: 2000 },
    baseline: arm,
    variants: { type: 'array', minItems: 1, maxItems: 16, items: arm },
    assignment: {
      type: 'object',
      additionalProperties: false,
      required: ['unit', 'split'],
      properties: {
        unit: { enum: ['user_id', 'thread_id'] },
        split: { type: 'object', minProperties: 2, additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
        salt: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
    primary_metrics: { type: 'array', minItems: 1, uniqueItems: true, items: metric },
    guardrails: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['metric'],
        properties: { metric, max_relative_change: { type: 'number', minimum: 0 }, max_absolute_change: { type: 'number', minimum: 0 } },
      },
    },
    success: {
      type: 'object',
      additionalProperties: false,
      required: ['mde'],
      properties: {
        mde: { type: 'number', exclusiveMinimum: 0 },
        alpha: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 },
        power: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      },
    },
    design: { enum: ['fixed_horizon', 'sequential'] },
    test: { enum: ['welch', 'mann_whitney'] },
    correction: { enum: ['holm', 'bh'] },
    tau: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

type RawSpec = Omit<ExperimentSpec, 'file' | 'baseline' | 'variants' | 'assignment' | 'guardrails' | 'success' | 'design' | 'test' | 'correction'> & {
  baseline: { name: string; params?: Partial<MaasParams> };
  variants: { name: string; params?: Partial<MaasParams> }[];
  assignment: { unit: 'user_id' | 'thread_id'; split: Record<string, number>; salt?: string };
  guardrails?: GuardrailSpec[];
  success: { mde: number; alpha?: number; power?: number };
  design?: ExperimentSpec['design'];
  test?: ExperimentSpec['test'];
  correction?: ExperimentSpec['correction'];
};

/** Reads and validates an experiment spec (YAML or JSON); throws ValidationErrors listing every problem as `file:line /path: message`. */
export function loadExperimentSpec(file: string): ExperimentSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationErrors([new MaasflowError('CONFIG', `cannot read experiment spec: ${(err as Error).message}`, { location: { file } })]);
  }
  return parseExperimentSpec(file, text);
}

export function parseExperimentSpec(file: string, text: string): ExperimentSpec {
  const { source, errors: syntax } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(syntax);
  const structural = validateAgainst(EXPERIMENT_SPEC_SCHEMA, source.data, source, [], 'CONFIG');
  if (structural.length > 0) throw new ValidationErrors(structural);
  const raw = source.data as RawSpec;
  const errors: MaasflowError[] = [];
  const arms = [raw.baseline, ...raw.variants];
  const names = arms.map((a) => a.name);
  raw.variants.forEach((v, i) => {
    if (names.indexOf(v.name) !== i + 1) errors.push(source.error('CONFIG', ['variants', i, 'name'], `arm name "${v.name}" is already used`));
  });
  const split = raw.assignment.split;
  for (const n of names) if (!(n in split)) errors.push(source.error('CONFIG', ['assignment', 'split'], `no share for arm "${n}"`));
  for (const n of Object.keys(split)) if (!names.includes(n)) errors.push(source.error('CONFIG', ['assignment', 'split', n], `"${n}" is not an arm (arms: ${names.join(', ')})`));
  const total = Object.values(split).reduce((s, r) => s + r, 0);
  if (Math.abs(total - 1) > 1e-9) errors.push(source.error('CONFIG', ['assignment', 'split'], `shares must sum to 1, got ${total}`));
  (raw.guardrails ?? []).forEach((g, i) => {
    if ((g.max_relative_change === undefined) === (g.max_absolute_change === undefined)) {
      errors.push(source.error('CONFIG', ['guardrails', i], 'give exactly one of max_relative_change and max_absolute_change'));
    }
  });
  // Parameter changes: names and ranges are those of docs/IMPACTS.md (the schema checked them; this names the range).
  arms.forEach((a, i) => {
    try {
      validateParams(a.params ?? {}, `arm "${a.name}"`);
    } catch (err) {
      errors.push(source.error('CONFIG', i === 0 ? ['baseline', 'params'] : ['variants', i - 1, 'params'], (err as Error).message));
    }
  });
  if (errors.length > 0) throw new ValidationErrors(errors);
  return {
    file,
    id: raw.id,
    goal: raw.goal,
    baseline: { name: raw.baseline.name, params: raw.baseline.params ?? {} },
    variants: raw.variants.map((v) => ({ name: v.name, params: v.params ?? {} })),
    assignment: { unit: raw.assignment.unit, split, salt: raw.assignment.salt ?? raw.id },
    primary_metrics: raw.primary_metrics,
    guardrails: raw.guardrails ?? [],
    success: { mde: raw.success.mde, alpha: raw.success.alpha ?? 0.05, power: raw.success.power ?? 0.8 },
    design: raw.design ?? 'fixed_horizon',
    test: raw.test ?? 'welch',
    correction: raw.correction ?? 'holm',
    ...(raw.tau === undefined ? {} : { tau: raw.tau }),
  };
}

/** The spec as the parameter file runs it (operators/maas/param-source.ts): each arm's version is `ACTIVE+ID.ARM`. */
export function runningEntry(spec: ExperimentSpec, activeVersion: string): Omit<RunningExperiment, 'versions'> & { arms: { name: string; ratio: number; version: string; params: Partial<MaasParams> }[] } {
  return {
    id: spec.id,
    unit: spec.assignment.unit,
    salt: spec.assignment.salt,
    arms: [spec.baseline, ...spec.variants].map((a) => ({ name: a.name, ratio: spec.assignment.split[a.name]!, version: `${activeVersion}+${spec.id}.${a.name}`, params: a.params })),
  };
}
