import { MaasflowError, ValidationErrors } from '../engine/errors.ts';
import { MetricsTimer, writeMetrics } from './metrics-contract.ts';

/** What a command body gets: its metrics timer and where to print (stderr when the report takes stdout). */
export interface CommandContext {
  timer: MetricsTimer;
  print(text: string): void;
}

/** Runs a command body; prints errors the way users read them; writes the metrics report when asked. */
export async function runCommand(
  name: string,
  jsonMetrics: string | undefined,
  body: (ctx: CommandContext) => Promise<Record<string, unknown>>,
): Promise<void> {
  const timer = new MetricsTimer(name);
  const stream = jsonMetrics === '-' ? process.stderr : process.stdout;
  let metric: Record<string, unknown> = {};
  try {
    metric = await body({ timer, print: (text) => stream.write(text) });
  } catch (err) {
    for (const line of errorLines(err)) {
      timer.errors.push(line);
      process.stderr.write(`${line}\n`);
    }
    process.exitCode = err instanceof ValidationErrors ? 2 : 1;
  }
  if (jsonMetrics) writeMetrics(jsonMetrics, timer.report(metric));
}

export function errorLines(err: unknown): string[] {
  if (err instanceof ValidationErrors) return err.errors.map((e) => `error: ${e.format()}`);
  if (err instanceof MaasflowError) return [`error: ${err.format()}`];
  if (err instanceof Error) return [`error: ${err.message}`];
  return [`error: ${String(err)}`];
}

/** A whole-number flag within [min, max], or a CONFIG error naming the flag and what it got. */
export function parseCount(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new MaasflowError('CONFIG', `--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}
