/**
 * Markdown pieces of the QMPT reports, on top of the manager reports'
 * tables (control/manager/format.ts: pipes escaped in cells, numeric
 * columns right-aligned): user text escaped so an id like `a|*b*` stays
 * literal, scores to 3 decimals, and atomic writing of a report folder.
 */
import path from 'node:path';
import fs from 'node:fs';
import { MaasflowError } from '../../engine/errors.ts';
import { atomicWriteFile, io } from '../../streams/log/fs-util.ts';

/** `fmt`: a score or any figure in [0, 1] to 3 decimals, `–` for none (the manager reports' Q format). */
export { formatParam, formatQ as fmt, formatQDelta as fmtDelta, mdTable } from '../../control/manager/format.ts';

/** A report: its Markdown and the charts it links, file name → SVG. */
export interface QmptReport {
  markdown: string;
  charts: Record<string, string>;
}

/** Text with Markdown's inline syntax escaped (pipes are escaped by the table cells, which must not see them twice). */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>~]/g, '\\$&').replace(/\s*\n\s*/g, ' ');
}

/** A code span that survives backticks in its text. */
export function mdCode(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** `3 patterns`, `1 pattern`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A chart's link, relative to the report. */
export function chartLink(alt: string, file: string): string {
  return `![${mdText(alt)}](${file})`;
}

/**
 * Writes `report.md` and the charts into `dir` (created if missing), each by
 * temp file + rename so a reader never sees half a file; the charts first,
 * so the Markdown never links a missing one. Returns report.md's path.
 */
export function writeReport(dir: string, report: QmptReport): string {
  for (const name of Object.keys(report.charts)) {
    if (!/^[\w.-]+\.svg$/.test(name) || name.startsWith('.')) {
      throw new MaasflowError('CONFIG', `writeReport: report.charts key ${JSON.stringify(name)} must be a plain file name ending in .svg`, { location: { path: `/charts/${name}` } });
    }
  }
  io('create directory', dir, () => fs.mkdirSync(dir, { recursive: true }));
  for (const [name, svg] of Object.entries(report.charts)) atomicWriteFile(path.join(dir, name), svg, 'flush');
  const file = path.join(dir, 'report.md');
  atomicWriteFile(file, report.markdown, 'flush');
  return file;
}
