/** What the `maasflow models` commands share: the manifests option, paths as users read them, plain tables. */
import path from 'node:path';
import { DEFAULT_MANIFESTS_DIR } from '../../models/registry/registry.ts';

export const MANIFESTS_OPTION = ['--manifests <dir>', `manifests folder (default ${rel(DEFAULT_MANIFESTS_DIR)})`] as const;

/** A path relative to the working directory when it lies inside it. */
export function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
