import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The metrics JSON contract every command writes with --json-metrics
 * (SPEC.md, seed 003): top-level keys always in this order, nested metric
 * keys sorted, so two runs diff cleanly.
 */
export interface MetricsReport {
  schema: 'maasflow.metrics/1';
  command: string;
  metric: Record<string, unknown>;
  uncertainty: Record<string, unknown> | null;
  timing: { started_at: string; finished_at: string; wall_ms: number; cpu_ms: number };
  status: { ok: boolean; degraded: boolean; warnings: string[]; errors: string[] };
  provenance: { version: string; commit: string; node: string; threads: number; device: string; platform: string };
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let cachedProvenance: MetricsReport['provenance'] | undefined;

export function provenance(): MetricsReport['provenance'] {
  if (cachedProvenance) return cachedProvenance;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    commit = 'unknown'; // not a git checkout (e.g. an npm install): provenance says so
  }
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown cpu';
  cachedProvenance = { version: pkg.version, commit, node: process.version, threads: os.availableParallelism(), device: `cpu: ${cpu}`, platform: `${process.platform}-${process.arch}` };
  return cachedProvenance;
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** Measures a command and builds its report. */
export class MetricsTimer {
  private readonly started = new Date();
  private readonly wall0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  degraded = false;

  constructor(private readonly command: string) {}

  report(metric: Record<string, unknown>, uncertainty: Record<string, unknown> | null = null): MetricsReport {
    const cpu = process.cpuUsage(this.cpu0);
    return {
      schema: 'maasflow.metrics/1',
      command: this.command,
      metric: sortKeys(metric) as Record<string, unknown>,
      uncertainty: uncertainty ? (sortKeys(uncertainty) as Record<string, unknown>) : null,
      timing: { started_at: this.started.toISOString(), finished_at: new Date().toISOString(), wall_ms: round(performance.now() - this.wall0), cpu_ms: round((cpu.user + cpu.system) / 1000) },
      status: { ok: this.errors.length === 0, degraded: this.degraded, warnings: [...this.warnings], errors: [...this.errors] },
      provenance: provenance(),
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Writes the report to a file path, or to stdout for "-". */
export function writeMetrics(target: string, report: MetricsReport): void {
  const text = JSON.stringify(report, null, 2) + '\n';
  if (target === '-') process.stdout.write(text);
  else {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    fs.writeFileSync(target, text);
  }
}
