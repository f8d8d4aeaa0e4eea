import { MaasflowError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations in topology files: a number of milliseconds or a string like "10s", "500ms", "2m", "1h". */
export type Duration = number | string;

export function parseDuration(value: Duration, where = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new MaasflowError('CONFIG', `${where}: ${value} is not a non-negative number of milliseconds`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) throw new MaasflowError('CONFIG', `${where}: "${value}" is not a duration (examples: 500ms, 10s, 2m, 1h)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$';
/** ajv applies `minimum` to numbers and `pattern` to strings only, so a bad value gets exactly one error. */
export const durationSchema = { type: ['number', 'string'], minimum: 0, pattern: DURATION_PATTERN } as const;
