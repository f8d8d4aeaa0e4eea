import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import { MaasflowError, type ErrorLocation } from '../engine/errors.ts';

/** A parsed YAML/JSON configuration file that can say on which line any path lies. */
export class SourceFile {
  private constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses text (YAML or JSON). A syntax error is reported once, at the line
   * and column where the parser first failed (later errors are its echoes).
   */
  static parse(file: string, text: string, errorCode: 'TOPOLOGY_PARSE' | 'CONFIG' = 'TOPOLOGY_PARSE'): { source?: SourceFile; errors: MaasflowError[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = lines.linePos(first.pos[0]);
      const message = first.message.split('\n')[0] ?? first.message;
      return { errors: [new MaasflowError(errorCode, message, { location: { file, line: pos.line, column: pos.col } })] };
    }
    if (doc.contents === null) {
      return { errors: [new MaasflowError(errorCode, 'the file is empty (or holds only comments)', { location: { file, line: 1, column: 1, path: '/' } })] };
    }
    return { source: new SourceFile(file, doc.toJS({ maxAliasCount: 100 }), doc, lines), errors: [] };
  }

  /**
   * Location of `path`: the node itself when it exists; for a missing field,
   * the key of its parent (`params:`), so the line is where a reader looks.
   */
  locate(path: readonly (string | number)[]): ErrorLocation {
    const pointer = '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    for (let depth = path.length; depth >= 0; depth--) {
      const offset = this.offsetOf(path.slice(0, depth));
      if (offset !== undefined) {
        const pos = this.lines.linePos(offset);
        return { file: this.file, line: pos.line, column: pos.col, path: pointer };
      }
    }
    return { file: this.file, path: pointer };
  }

  /** Start offset of the key (in a map) or item (in a sequence) at `path`. */
  private offsetOf(path: readonly (string | number)[]): number | undefined {
    if (path.length === 0) return isNode(this.doc.contents) ? this.doc.contents.range?.[0] : undefined;
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last || String(isScalar(p.key) ? p.key.value : p.key) === String(last));
      if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      return undefined;
    }
    if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last];
      return isNode(item) && item.range ? item.range[0] : undefined;
    }
    return undefined;
  }

  error(code: MaasflowError['code'], path: readonly (string | number)[], message: string): MaasflowError {
    return new MaasflowError(code, message, { location: this.locate(path) });
  }
}

/** "/a/0/b" -> ['a', 0, 'b'] (ajv instancePath). */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
