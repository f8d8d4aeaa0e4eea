import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { MaasflowError } from '../../engine/errors.ts';

interface Shared {
  readonly instance: Promise<DuckDBInstance>;
  refs: number;
}

/**
 * One DuckDB instance per file and process. DuckDB's file lock is a POSIX
 * lock, which is per process: a second DuckDBInstance on the same file in the
 * same process opens without complaint and the two then overwrite each
 * other's blocks. So every sink of this process writing one file shares one
 * instance (each with its own connection), closed when the last one leaves.
 */
const open = new Map<string, Shared>();

export interface InstanceLease {
  readonly instance: DuckDBInstance;
  release(): void;
}

export async function acquireInstance(file: string, sinkId: string): Promise<InstanceLease> {
  const key = path.resolve(file);
  let shared = open.get(key);
  if (!shared) {
    shared = { instance: create(key, sinkId), refs: 0 };
    open.set(key, shared);
  }
  shared.refs++;
  let instance: DuckDBInstance;
  try {
    instance = await shared.instance;
  } catch (err) {
    if (--shared.refs === 0 && open.get(key) === shared) open.delete(key);
    throw err;
  }
  let released = false;
  const lease = shared;
  return {
    instance,
    release() {
      if (released) return;
      released = true;
      if (--lease.refs > 0) return;
      if (open.get(key) === lease) open.delete(key);
      instance.closeSync();
    },
  };
}

async function create(file: string, sinkId: string): Promise<DuckDBInstance> {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return await DuckDBInstance.create(file);
  } catch (err) {
    const message = (err as Error).message;
    if (/could not set lock/i.test(message)) {
      throw new MaasflowError(
        'CONFIG',
        `duckdb sink "${sinkId}": ${file} is locked by another process (${message}). DuckDB allows one writing process per file: ` +
          'stop the other writer, or let several engines publish to a Kafka topic that one history-writer topology reads into this file (docs/TOPOLOGY.md, duckdb sink)',
        { cause: err, location: { file } },
      );
    }
    throw new MaasflowError('CONFIG', `duckdb sink "${sinkId}": cannot open ${file}: ${message}`, { cause: err, location: { file } });
  }
}
