import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { MaasflowError, type ErrorLocation } from '../engine/errors.ts';

/** A parsed YAML/JSON configuration file that can say on which line any path lies. */
export class SourceFile {
  private constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses text (YAML or JSON); syntax errors are returned, each with its line and column. */
  static parse(file: string, text: string, errorCode: 'TOPOLOGY_PARSE' | 'CONFIG' = 'TOPOLOGY_PARSE'): { source?: SourceFile; errors: MaasflowError[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const errors = doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return new MaasflowError(errorCode, e.message.split('\n')[0] ?? e.message, { location: { file, line: pos?.line, column: pos?.col } });
      });
      return { errors };
    }
    return { source: new SourceFile(file, doc.toJS({ maxAliasCount: 100 }), doc, lines), errors: [] };
  }

  /** Location of the deepest existing node on `path` (a missing field points at its parent). */
  locate(path: readonly (string | number)[]): ErrorLocation {
    const pointer = '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return { file: this.file, line: pos.line, column: pos.col, path: pointer };
      }
    }
    return { file: this.file, path: pointer };
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
