import { MaasflowError, ValidationErrors } from '../engine/errors.ts';
import { MetricsTimer, writeMetrics } from './metrics-contract.ts';

/** Runs a command body; prints errors the way users read them; writes the metrics report when asked. */
export async function runCommand(
  name: string,
  jsonMetrics: string | undefined,
  body: (timer: MetricsTimer) => Promise<Record<string, unknown>>,
): Promise<void> {
  const timer = new MetricsTimer(name);
  let metric: Record<string, unknown> = {};
  try {
    metric = await body(timer);
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
