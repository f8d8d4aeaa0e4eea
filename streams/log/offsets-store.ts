/**
 * Committed consumer-group offsets: one JSON file per group,
 * `groups/<encodeURIComponent(group)>.json`, rewritten atomically on every
 * commit (tmp + fsync + rename), cached in memory after first use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { atomicWriteFile, io, isRecord, readJsonFile, type FsyncMode } from './fs-util.ts';

type GroupOffsets = Map<string, Map<number, number>>;
const FORMAT_VERSION = 1;

export class OffsetsStore {
  private readonly dir: string;
  private readonly fsync: FsyncMode;
  private readonly cache = new Map<string, GroupOffsets>();

  constructor(dir: string, fsync: FsyncMode) {
    this.dir = dir;
    this.fsync = fsync;
    io('create directory', dir, () => fs.mkdirSync(dir, { recursive: true }));
  }

  private fileOf(group: string): string {
    if (typeof group !== 'string' || group.length === 0) {
      throw new MaasflowError('LOG_BAD_ARGUMENT', `consumer group must be a non-empty string, got ${JSON.stringify(group)}`);
    }
    const name = `${encodeURIComponent(group)}.json`;
    if (Buffer.byteLength(name) > 250) throw new MaasflowError('LOG_BAD_ARGUMENT', `consumer group name too long: ${group.slice(0, 40)}...`);
    return path.join(this.dir, name);
  }

  private load(group: string): GroupOffsets {
    const cached = this.cache.get(group);
    if (cached) return cached;
    const file = this.fileOf(group);
    const offsets: GroupOffsets = new Map();
    if (io('stat', file, () => fs.existsSync(file))) {
      const doc = readJsonFile(file);
      const corrupt = (why: string): MaasflowError => new MaasflowError('LOG_CORRUPT', `${file}: ${why}`, { location: { file } });
      if (!isRecord(doc) || doc.format !== FORMAT_VERSION || !isRecord(doc.topics)) throw corrupt('expected {format: 1, group, topics}');
      for (const [topic, parts] of Object.entries(doc.topics)) {
        if (!isRecord(parts)) throw corrupt(`topic ${topic}: expected an object`);
        const m = new Map<number, number>();
        for (const [p, off] of Object.entries(parts)) {
          const partition = Number(p);
          if (!Number.isSafeInteger(partition) || partition < 0 || typeof off !== 'number' || !Number.isSafeInteger(off) || off < 0) {
            throw corrupt(`topic ${topic}: bad entry ${JSON.stringify(p)}: ${JSON.stringify(off)}`);
          }
          m.set(partition, off);
        }
        offsets.set(topic, m);
      }
    }
    this.cache.set(group, offsets);
    return offsets;
  }

  /** Merge `offsets` (partition -> next offset to consume) into the group's commits and persist. */
  commit(group: string, topic: string, offsets: Readonly<Record<number, number>>, partitions: number): void {
    if (!isRecord(offsets)) throw new MaasflowError('LOG_BAD_ARGUMENT', 'offsets must be an object of partition -> offset');
    const entries: [number, number][] = [];
    for (const [p, off] of Object.entries(offsets)) {
      const partition = Number(p);
      if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions) {
        throw new MaasflowError('LOG_BAD_ARGUMENT', `topic ${topic} has no partition ${p}`);
      }
      if (typeof off !== 'number' || !Number.isSafeInteger(off) || off < 0) {
        throw new MaasflowError('LOG_BAD_ARGUMENT', `offset for ${topic}/${p} must be a non-negative integer, got ${JSON.stringify(off)}`);
      }
      entries.push([partition, off]);
    }
    const group_ = this.load(group);
    const next: GroupOffsets = new Map(group_);
    const m = new Map(next.get(topic) ?? []);
    for (const [p, off] of entries) m.set(p, off);
    next.set(topic, m);
    const topics: Record<string, Record<string, number>> = {};
    for (const [t, parts] of next) topics[t] = Object.fromEntries([...parts].sort((a, b) => a[0] - b[0]));
    atomicWriteFile(this.fileOf(group), `${JSON.stringify({ format: FORMAT_VERSION, group, topics })}\n`, this.fsync);
    this.cache.set(group, next);
  }

  /** partition -> committed offset; {} when the group never committed for the topic. */
  get(group: string, topic: string): Record<number, number> {
    const m = this.load(group).get(topic);
    const out: Record<number, number> = {};
    if (m) for (const [p, off] of m) out[p] = off;
    return out;
  }
}
