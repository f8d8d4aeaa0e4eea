import { chunkOf } from '../chunk.ts';
import { defineSource, type Position, type SourceChunk } from '../../../engine/connectors.ts';
import type { EmbeddedLog, LogRecord } from '../../log/index.ts';

interface LogSourceParams {
  topic: string;
  group?: string;
  logDir?: string;
  startFrom?: 'earliest' | 'latest';
  stopAtEnd?: boolean;
  isolation?: 'readUncommitted' | 'readCommitted';
}

interface LogPosition { offsets: Record<string, number>; cursor: number }


/**
 * Reads a topic of the embedded log. Partitions are read in a fixed rotation
 * (the rotation cursor is part of the position), so a restore from a
 * checkpoint polls exactly the batches an uninterrupted run would have.
 * Committed group offsets are used when no checkpoint exists.
 */
export const logSource = defineSource<LogSourceParams>({
  type: 'log',
  summary: 'Embedded log topic (partitions, offsets, consumer group)',
  formats: ['avro', 'json', 'string', 'bytes'],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      topic: { type: 'string', minLength: 1 },
      group: { type: 'string', minLength: 1 },
      logDir: { type: 'string' },
      startFrom: { enum: ['earliest', 'latest'] },
      stopAtEnd: { type: 'boolean' },
      isolation: { enum: ['readUncommitted', 'readCommitted'] },
    },
  },
  create(p, ctx) {
    const group = p.group ?? `${ctx.topology}.${ctx.id}`;
    // readCommitted: only what a durable checkpoint of the writing topology covers (never records its restore may truncate)
    const readableEnd = p.isolation === 'readCommitted' ? (part: number): number => log.stableOffset(p.topic, part) : (part: number): number => log.endOffset(p.topic, part);
    let log: EmbeddedLog;
    let partitions: number[] = [];
    let pos: LogPosition = { offsets: {}, cursor: 0 };
    let membership: { leave(): void } | undefined;

    return {
      async open(restore) {
        log = ctx.logs.acquire(p.logDir);
        if (!log.hasTopic(p.topic)) log.createTopic(p.topic, { partitions: 1 });
        membership = log.joinGroup(group, p.topic, `${ctx.topology}-${process.pid}`, (assigned) => {
          partitions = [...assigned].sort((a, b) => a - b);
        });
        const committed = log.committedOffsets(group, p.topic);
        const restored = restore as LogPosition | undefined;
        pos = restored ? { offsets: { ...restored.offsets }, cursor: restored.cursor } : { offsets: {}, cursor: 0 };
        for (const part of partitions) {
          if (pos.offsets[part] !== undefined) continue;
          pos.offsets[part] = committed[part] ?? (p.startFrom === 'latest' ? log.endOffset(p.topic, part) : log.startOffset(p.topic, part));
        }
      },
      poll(max): SourceChunk {
        const records: LogRecord[] = [];
        const n = partitions.length;
        // an even share per partition keeps partitions in step in event time (watermark = their minimum)
        const share = Math.max(1, Math.ceil(max / Math.max(1, n)));
        for (let k = 0; k < n && records.length < max; k++) {
          const part = partitions[(pos.cursor + k) % n]!;
          const from = pos.offsets[part] ?? log.startOffset(p.topic, part);
          const got = log.read(p.topic, part, from, Math.min(share, max - records.length, Math.max(0, readableEnd(part) - from)));
          if (got.length > 0) {
            pos.offsets[part] = got[got.length - 1]!.offset + 1;
            for (const r of got) records.push(r);
          } else if (from < log.startOffset(p.topic, part)) {
            pos.offsets[part] = log.startOffset(p.topic, part);
          }
        }
        if (n > 0) pos.cursor = (pos.cursor + 1) % n;
        const lagging = partitions.filter((part) => (pos.offsets[part] ?? 0) < readableEnd(part));
        return chunkOf(records, p.topic, lagging, p.stopAtEnd === true && records.length === 0 && lagging.length === 0);
      },
      position: (): Position => ({ offsets: { ...pos.offsets }, cursor: pos.cursor }),
      commit(position) {
        const offsets: Record<number, number> = {};
        for (const [k, v] of Object.entries((position as unknown as LogPosition).offsets)) offsets[Number(k)] = v;
        log.commitOffsets(group, p.topic, offsets);
      },
      close() {
        membership?.leave();
        ctx.logs.release(log);
      },
    };
  },
});
