import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One benchmark figure, with its baseline measured in the same run (CONVENTIONS.md). */
export interface BenchRow {
  name: string;
  unit: string;
  value: number;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue */
  ratio: number;
  /** The target for this figure, when there is one. */
  target?: string;
  pass?: boolean;
}

export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');

export function writeResults(name: string, rows: BenchRow[]): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
  return file;
}

export function printTable(rows: BenchRow[]): void {
  const fmt = (x: number): string => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(3));
  const lines = rows.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, `${fmt(r.baselineValue)} (${r.baseline})`, r.ratio.toFixed(3), r.target ?? '', r.pass === undefined ? '' : r.pass ? 'pass' : 'MISS']);
  const head = ['figure', 'value', 'baseline', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cols: string[]): string => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(show(head));
  for (const l of lines) console.log(show(l));
}
