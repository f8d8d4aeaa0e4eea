/**
 * File plumbing of qmpt/data/io.ts: JSONL lines with their line numbers, and
 * atomic replacement (a temp file beside the target, renamed over it), so a
 * reader never sees half a file and a failed write leaves the old one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { MaasflowError } from '../../engine/errors.ts';

/** A parsed value and where it came from (`file:line`, `file row n`). */
export interface Located {
  value: unknown;
  where: string;
}

export function cannotRead(file: string, err: unknown): MaasflowError {
  return new MaasflowError('CONFIG', `cannot read ${file}: ${(err as Error).message}`, { cause: err, location: { file } });
}

/** Fails early, with the path, when the input is missing (DuckDB would create an empty database instead). */
export function requireFile(file: string): void {
  try {
    if (!fs.statSync(file).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw cannotRead(file, err);
  }
}

/** Each non-blank line of a JSONL file, parsed; a line that is no JSON is a RECORD_DECODE error naming file:line. */
export async function* readJsonl(file: string): AsyncGenerator<Located> {
  requireFile(file);
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new MaasflowError('RECORD_DECODE', `${file}:${n}: invalid JSON (${(err as Error).message})`, { cause: err, location: { file, line: n } });
      }
      yield { value, where: `${file}:${n}` };
    }
  } catch (err) {
    if (err instanceof MaasflowError) throw err;
    throw cannotRead(file, err);
  } finally {
    lines.close();
  }
}

/**
 * Writes `file` through a temp file in its folder, then renames it over the
 * target; on failure the temp file is removed and the target is untouched.
 */
export async function replaceAtomically(file: string, writeTemp: (temp: string) => Promise<void>): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    await writeTemp(temp);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    if (err instanceof MaasflowError) throw err;
    throw new MaasflowError('RUNTIME', `cannot write ${file}: ${(err as Error).message}`, { cause: err, location: { file } });
  }
}

/** Bytes of JSONL gathered before a write call: few syscalls, bounded memory. */
const CHUNK_CHARS = 1 << 20;

/** One JSON value per line, atomically, flushed to disk before the rename. */
export async function writeJsonl(file: string, values: Iterable<unknown>): Promise<void> {
  await replaceAtomically(file, async (temp) => {
    const handle = await fs.promises.open(temp, 'w');
    try {
      const writeAll = async (text: string): Promise<void> => {
        const bytes = Buffer.from(text, 'utf8');
        for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
      };
      let chunk = '';
      for (const v of values) {
        chunk += JSON.stringify(v) + '\n';
        if (chunk.length >= CHUNK_CHARS) {
          await writeAll(chunk);
          chunk = '';
        }
      }
      await writeAll(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}
