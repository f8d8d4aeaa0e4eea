/** JSON parsing with line/column in errors, and line lookup for a path in valid JSON. */
import { LineCounter, isNode, parseDocument } from 'yaml';

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string; line?: number; column?: number };

export function parseJson(text: string): JsonParse {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(clean) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const offset = errorOffset(clean, message);
    if (offset === undefined) return { ok: false, message };
    return { ok: false, message, ...lineColumn(clean, offset) };
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Offset of a JSON syntax error. V8 names the position for most errors but not
 * for "Unexpected token"; then find the shortest prefix that already fails
 * for a reason other than ending early (failing is monotonic in the prefix).
 */
function errorOffset(text: string, message: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  if (!realFailure(text)) return undefined;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (realFailure(text.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

function realFailure(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/Unexpected end of JSON input/.test(message)) return false;
    const m = /at position (\d+)/.exec(message);
    return m ? Number(m[1]) < prefix.length : true;
  }
}

/** Line/column where the value at `path` starts in `text` (valid JSON), if it can be found. */
export function locatePath(text: string, path: readonly (string | number)[]): { line: number; column: number } | undefined {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
    if (!isNode(node) || !node.range) return undefined;
    const pos = lineCounter.linePos(node.range[0]);
    return { line: pos.line, column: pos.col };
  } catch (err) {
    // Locating is best effort: the error is still reported, just without a line.
    void err;
    return undefined;
  }
}
