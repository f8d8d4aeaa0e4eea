/**
 * Small synchronous file helpers shared by the log modules: IO errors are
 * wrapped into coded MaasflowErrors naming the path, and small metadata files
 * are replaced atomically (tmp file + fsync + rename + directory fsync).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';

export type FsyncMode = 'never' | 'flush' | 'always';

/** Wrap any thrown value from a filesystem call into a LOG_IO error. */
export function ioError(what: string, file: string, cause: unknown): MaasflowError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new MaasflowError('LOG_IO', `${what} ${file}: ${detail}`, { location: { file }, cause, retriable: true });
}

/** Run `fn`, converting filesystem exceptions into LOG_IO errors (MaasflowErrors pass through). */
export function io<T>(what: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MaasflowError) throw err;
    throw ioError(what, file, err);
  }
}

export function errno(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Write the whole buffer at `position`, looping over short writes. */
export function writeFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

/** Read exactly `length` bytes at `position` unless EOF comes first; returns bytes read. */
export function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** fsync a directory so that created/renamed/deleted entries survive power loss. */
export function fsyncDir(dir: string): void {
  io('fsync directory', dir, () => {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Replace `file` atomically with `data`: write `file.tmp`, fsync it (unless
 * `fsync` is 'never'), rename over `file`, fsync the directory. A reader sees
 * either the old or the new content, also after SIGKILL or power loss.
 */
export function atomicWriteFile(file: string, data: string | Uint8Array, fsync: FsyncMode): void {
  const tmp = `${file}.tmp`;
  io('write', file, () => {
    const fd = fs.openSync(tmp, 'w');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      writeFully(fd, buf, 0);
      if (fsync !== 'never') fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  });
  if (fsync !== 'never') fsyncDir(path.dirname(file));
}

/** Parse a JSON file; LOG_CORRUPT naming the file when it does not parse. */
export function readJsonFile(file: string): unknown {
  const text = io('read', file, () => fs.readFileSync(file, 'utf8'));
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MaasflowError('LOG_CORRUPT', `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, {
      location: { file },
      cause: err,
    });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
