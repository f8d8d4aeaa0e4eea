/** Reads a written cycle report back (GET /v1/reports/:cycle): its Markdown and the SVG charts it links. */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import type { ReportInfo } from '../types.ts';

export function readReport(info: ReportInfo): { markdown: string; charts: Record<string, string> } {
  let markdown: string;
  try {
    markdown = fs.readFileSync(info.path, 'utf8');
  } catch (err) {
    throw new MaasflowError('NOT_FOUND', `report of cycle ${info.cycle}: ${(err as Error).message}`);
  }
  const charts: Record<string, string> = {};
  for (const m of markdown.matchAll(/!\[[^\]]*\]\(([^)\s/]+\.svg)\)/g)) {
    const file = path.join(path.dirname(info.path), m[1]!);
    if (fs.existsSync(file)) charts[m[1]!] = fs.readFileSync(file, 'utf8');
  }
  return { markdown, charts };
}
