/**
 * Topic names, configuration defaults/validation and the persisted
 * `topics/<topic>/topic.json` file (replaced atomically).
 */
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { atomicWriteFile, isRecord, readJsonFile, type FsyncMode } from './fs-util.ts';

export interface TopicConfig {
  partitions: number;
  /** Roll to a new segment file past this size; default 64 MiB. */
  segmentBytes?: number;
  /** Delete closed segments whose newest record is older than this; -1 (default) = forever. */
  retentionMs?: number;
  /** Per partition: delete oldest closed segments while the rest still holds this many bytes; -1 (default) = unlimited. */
  retentionBytes?: number;
}

export type ResolvedTopicConfig = Required<TopicConfig>;

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const MIN_SEGMENT_BYTES = 64;
export const MAX_PARTITIONS = 10_000;
const FORMAT_VERSION = 1;
const TOPIC_NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;

export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TOPIC_NAME_RE.test(name) || name === '.' || name === '..') {
    throw new MaasflowError('LOG_BAD_ARGUMENT', `invalid topic name ${JSON.stringify(name)}: use 1-200 characters of A-Z a-z 0-9 . _ - (not '.' or '..')`);
  }
}

function intField(value: unknown, field: string, min: number, max: number, where: string, code: 'LOG_BAD_ARGUMENT' | 'LOG_CORRUPT'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new MaasflowError(code, `${where}: ${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, {
      location: code === 'LOG_CORRUPT' ? { file: where, path: `/${field}` } : { path: `/${field}` },
    });
  }
  return value;
}

function resolve(raw: Record<string, unknown>, where: string, code: 'LOG_BAD_ARGUMENT' | 'LOG_CORRUPT'): ResolvedTopicConfig {
  const opt = (field: string, def: number, min: number): number =>
    raw[field] === undefined ? def : intField(raw[field], field, min, Number.MAX_SAFE_INTEGER, where, code);
  const retentionMs = opt('retentionMs', -1, -1);
  const retentionBytes = opt('retentionBytes', -1, -1);
  return {
    partitions: intField(raw.partitions, 'partitions', 1, MAX_PARTITIONS, where, code),
    segmentBytes: opt('segmentBytes', DEFAULT_SEGMENT_BYTES, MIN_SEGMENT_BYTES),
    retentionMs,
    retentionBytes,
  };
}

/** Fill defaults and validate a user-supplied config (LOG_BAD_ARGUMENT on bad values). */
export function resolveTopicConfig(topic: string, config: TopicConfig): ResolvedTopicConfig {
  if (!isRecord(config)) throw new MaasflowError('LOG_BAD_ARGUMENT', `topic ${topic}: config must be an object`);
  return resolve(config, `topic ${topic}`, 'LOG_BAD_ARGUMENT');
}

export function topicMetaFile(topicDir: string): string {
  return path.join(topicDir, 'topic.json');
}

export function writeTopicMeta(topicDir: string, name: string, config: ResolvedTopicConfig, fsync: FsyncMode): void {
  const doc = { format: FORMAT_VERSION, name, ...config };
  atomicWriteFile(topicMetaFile(topicDir), `${JSON.stringify(doc, null, 2)}\n`, fsync);
}

/** Read topic.json; LOG_CORRUPT naming the file when it is malformed. */
export function readTopicMeta(topicDir: string, expectedName: string): ResolvedTopicConfig {
  const file = topicMetaFile(topicDir);
  const doc = readJsonFile(file);
  if (!isRecord(doc)) throw new MaasflowError('LOG_CORRUPT', `${file}: expected a JSON object`, { location: { file } });
  if (doc.format !== FORMAT_VERSION) {
    throw new MaasflowError('LOG_CORRUPT', `${file}: unsupported format ${JSON.stringify(doc.format)} (expected ${FORMAT_VERSION})`, {
      location: { file, path: '/format' },
    });
  }
  if (doc.name !== expectedName) {
    throw new MaasflowError('LOG_CORRUPT', `${file}: name ${JSON.stringify(doc.name)} does not match directory ${expectedName}`, {
      location: { file, path: '/name' },
    });
  }
  return resolve(doc, file, 'LOG_CORRUPT');
}
