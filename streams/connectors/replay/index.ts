import fs from 'node:fs';
import path from 'node:path';
import { defineSource, type SourceChunk } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';

interface ReplayParams { path: string; chunkBytes?: number }

interface ReplayPosition { byte: number; line: number }

/**
 * Replays a JSONL file (one record per line; LF or CRLF; lines of only
 * whitespace are skipped), bounded. A line may be up to `chunkBytes` long.
 * Each line is handed over as bytes so a malformed line reaches the
 * dead-letter topic with its line number as offset.
 */
export const replaySource = defineSource<ReplayParams>({
  type: 'replay',
  summary: 'Replay a JSONL file',
  formats: ['json', 'string', 'bytes'],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1 }, chunkBytes: { type: 'integer', minimum: 1024 } },
  },
  create(p) {
    const file = path.resolve(p.path);
    const chunkBytes = p.chunkBytes ?? 1 << 20;
    let fd = -1;
    let size = 0;
    let pos: ReplayPosition = { byte: 0, line: 0 };
    return {
      async open(restore) {
        try {
          fd = fs.openSync(file, 'r');
        } catch (err) {
          throw new MaasflowError('CONFIG', `replay source: cannot open ${file}: ${(err as Error).message}`, { cause: err });
        }
        size = fs.fstatSync(fd).size;
        pos = restore ? { ...(restore as unknown as ReplayPosition) } : { byte: 0, line: 0 };
      },
      poll(max): SourceChunk {
        const values: unknown[] = [];
        const offsets: number[] = [];
        while (values.length < max && pos.byte < size) {
          // one byte more than the longest line, so a line of exactly chunkBytes fits with its newline
          const buf = Buffer.allocUnsafe(Math.min(chunkBytes + 1, size - pos.byte));
          const n = fs.readSync(fd, buf, 0, buf.length, pos.byte);
          let start = 0;
          let consumed = false;
          for (let i = 0; i < n && values.length < max; i++) {
            if (buf[i] !== 0x0a) continue;
            if (!isBlank(buf, start, i)) {
              values.push(buf.subarray(start, buf[i - 1] === 0x0d ? i - 1 : i));
              offsets.push(pos.line);
            }
            pos.line++;
            start = i + 1;
            consumed = true;
          }
          const lastLine = pos.byte + n >= size && start < n && values.length < max;
          if (lastLine) {
            if (!isBlank(buf, start, n)) {
              values.push(buf.subarray(start, buf[n - 1] === 0x0d ? n - 1 : n));
              offsets.push(pos.line);
            }
            pos.line++;
            start = n;
            consumed = true;
          }
          pos.byte += start;
          if (!consumed) throw new MaasflowError('CONFIG', `replay source: line ${pos.line + 1} of ${file} is longer than chunkBytes (${chunkBytes})`);
        }
        const m = values.length;
        return {
          values,
          timestamps: new Float64Array(m),
          keys: null,
          partitions: null,
          offsets: Float64Array.from(offsets),
          topic: file,
          end: pos.byte >= size,
        };
      },
      position: () => ({ byte: pos.byte, line: pos.line }),
      commit() {},
      close() {
        if (fd >= 0) fs.closeSync(fd);
        fd = -1;
      },
    };
  },
});

/** Only spaces, tabs and carriage returns between start and end. */
function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
