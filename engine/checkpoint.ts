import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, serialize } from 'node:v8';
import type { Position } from './connectors.ts';
import { MaasflowError } from './errors.ts';

/** Everything a restarted topology needs: source positions, sink positions and keyed state, taken together. */
export interface Checkpoint {
  version: 1;
  topology: string;
  /** Fingerprint of the topology's structure; a different topology cannot resume this checkpoint. */
  fingerprint: string;
  epoch: number;
  createdAt: number;
  sources: Record<string, Position>;
  sinks: Record<string, Position>;
  state: Uint8Array;
}

const MAGIC = 0x4d464350; // "MFCP"

/**
 * One checkpoint file, replaced atomically (write temp, fsync, rename,
 * fsync directory): after a crash it holds either the previous or the new
 * checkpoint, never a mix. A CRC guards against a damaged file.
 */
export class CheckpointStore {
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'checkpoint.bin');
  }

  load(): Checkpoint | null {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new MaasflowError('CHECKPOINT_IO', `cannot read checkpoint ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    if (bytes.length < 12 || bytes.readUInt32BE(0) !== MAGIC) throw new MaasflowError('CHECKPOINT_IO', `${this.file} is not a checkpoint file`);
    const len = bytes.readUInt32BE(4);
    const body = bytes.subarray(12, 12 + len);
    if (body.length !== len || crc32(body) !== bytes.readUInt32BE(8)) throw new MaasflowError('CHECKPOINT_IO', `${this.file} is damaged (length or CRC mismatch)`);
    return deserialize(body) as Checkpoint;
  }

  save(cp: Checkpoint): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const body = serialize(cp);
    const header = Buffer.alloc(12);
    header.writeUInt32BE(MAGIC, 0);
    header.writeUInt32BE(body.length, 4);
    header.writeUInt32BE(crc32(body), 8);
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, header);
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }

  clear(): void {
    fs.rmSync(this.file, { force: true });
  }
}
