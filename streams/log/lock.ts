/**
 * Exclusive ownership of a log directory: `dir/LOCK` holds the owner's pid.
 * The file appears atomically with its content (written to a private tmp
 * file, then hard-linked into place, which fails if LOCK exists). A LOCK
 * whose pid is dead (or unreadable) is stale and taken over. Directories
 * opened by this process are also tracked in memory, so a second open in
 * the same process fails even though the pid in LOCK is alive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { errno, io, ioError } from './fs-util.ts';

const heldHere = new Set<string>();

export interface DirLock {
  readonly file: string;
  /** Whether a stale lock was taken over when acquiring. */
  readonly tookOverFrom: number | null;
  release(): void;
}

/** True when a process with this pid exists (EPERM: exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if (errno(err) === 'EPERM') return true;
    if (errno(err) === 'ESRCH') return false;
    throw ioError('probe pid', String(pid), err);
  }
}

function readOwner(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw ioError('read lock', file, err);
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : -1;
}

function locked(file: string, pid: number, why: string): MaasflowError {
  return new MaasflowError('LOG_LOCKED', `${path.dirname(file)} is locked by ${why} (pid ${pid}, ${file})`, { location: { file } });
}

export function acquireLock(dir: string): DirLock {
  const key = io('resolve', dir, () => fs.realpathSync(dir));
  const file = path.join(key, 'LOCK');
  if (heldHere.has(key)) throw locked(file, process.pid, 'this process');
  const tmp = path.join(key, `LOCK.${process.pid}.tmp`);
  io('write', tmp, () => fs.writeFileSync(tmp, `${process.pid}\n`));
  let tookOverFrom: number | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError('create lock', file, err);
      }
      const owner = readOwner(file);
      if (owner === null) continue; // released meanwhile: try again
      // our own pid in a LOCK we do not hold is left by an earlier process that had the same pid (containers)
      if (owner > 0 && owner !== process.pid && pidAlive(owner)) throw locked(file, owner, 'another live process');
      if (attempt >= 5) throw locked(file, owner, 'a process that keeps re-taking it');
      tookOverFrom = owner;
      try {
        fs.unlinkSync(file);
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw ioError('remove stale lock', file, err);
      }
    }
  } finally {
    io('remove', tmp, () => fs.unlinkSync(tmp));
  }
  heldHere.add(key);
  let released = false;
  return {
    file,
    tookOverFrom,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(key);
      if (readOwner(file) === process.pid) io('remove lock', file, () => fs.unlinkSync(file));
    },
  };
}
