import { defineSink } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { durationSchema, parseDuration, type Duration } from '../../engine/duration.ts';
import type { Batch } from '../../engine/batch.ts';
import type { DeadLetter } from '../../engine/source-stage.ts';
import type { EmbeddedLog, LogRecordInput } from '../../streams/log/index.ts';

interface LogSinkParams {
  topic: string;
  partitions?: number;
  logDir?: string;
  format?: 'json' | 'avro' | 'string' | 'bytes' | 'deadLetter';
  schema?: string;
  /** Topic retention (applied after checkpoints): delete whole old segments by age and/or size per partition. */
  retention?: { time?: Duration; bytes?: number };
  segmentBytes?: number;
}

type Encoder = (value: unknown) => Uint8Array;

/**
 * Writes to a topic of the embedded log, partitioned by record key (null keys
 * round-robin). Transactional: the checkpoint stores each partition's end
 * offset, and a restore truncates what was written after it.
 */
export const logSink = defineSink<LogSinkParams>({
  type: 'log',
  summary: 'Embedded log topic (exactly-once with checkpoints)',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      topic: { type: 'string', minLength: 1 },
      partitions: { type: 'integer', minimum: 1, maximum: 4096 },
      logDir: { type: 'string' },
      format: { enum: ['json', 'avro', 'string', 'bytes', 'deadLetter'] },
      schema: { type: 'string' },
      retention: { type: 'object', additionalProperties: false, properties: { time: durationSchema, bytes: { type: 'integer', minimum: 1 } } },
      segmentBytes: { type: 'integer', minimum: 1024 },
    },
    if: { properties: { format: { const: 'avro' } }, required: ['format'] },
    then: { required: ['schema'] },
  },
  schemaRefs: (p) => (p.schema ? [p.schema] : []),
  create(p, ctx) {
    let log: EmbeddedLog;
    const format = p.format ?? 'json';
    const encode: Encoder =
      format === 'avro'
        ? (v) => ctx.schemas.encode(p.schema!, v)
        : format === 'string'
          ? (v) => Buffer.from(String(v), 'utf8')
          : format === 'bytes'
            ? (v) => (v instanceof Uint8Array ? v : Buffer.from(String(v), 'utf8'))
            : (v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
    const partitionCount = (): number => log.topicConfig(p.topic).partitions;

    const toRecords = (batch: Batch): LogRecordInput[] => {
      const { values, timestamps, keys } = batch;
      const out = new Array<LogRecordInput>(values.length);
      for (let i = 0; i < values.length; i++) {
        const key = keys === null || keys[i] === null ? null : Buffer.from(String(keys[i]), 'utf8');
        if (format === 'deadLetter') {
          const d = values[i] as DeadLetter;
          out[i] = {
            key,
            value: d.raw,
            timestamp: d.timestamp,
            headers: { 'dlq.reason': d.reason, 'dlq.topic': d.topic, 'dlq.partition': String(d.partition), 'dlq.offset': String(d.offset), 'dlq.source': ctx.topology },
          };
        } else out[i] = { key, value: encode(values[i]), timestamp: timestamps[i]! };
      }
      return out;
    };

    return {
      async open(restore) {
        log = ctx.logs.acquire(p.logDir);
        const config = {
          segmentBytes: p.segmentBytes,
          retentionMs: p.retention?.time !== undefined ? parseDuration(p.retention.time, 'retention.time') : undefined,
          retentionBytes: p.retention?.bytes,
        };
        if (!log.hasTopic(p.topic)) log.createTopic(p.topic, { partitions: p.partitions ?? 1, ...config });
        else if (p.retention || p.segmentBytes) log.createTopic(p.topic, { ...log.topicConfig(p.topic), ...stripUndefined(config) });
        if (restore && typeof restore === 'object' && !Array.isArray(restore)) {
          for (const [part, end] of Object.entries(restore)) {
            const now = log.endOffset(p.topic, Number(part));
            if (now < Number(end)) {
              throw new MaasflowError('CHECKPOINT_MISMATCH', `log sink: topic ${p.topic} partition ${part} ends at offset ${now} but the checkpoint says ${String(end)} were written: the topic was changed outside the job; run with --fresh to start over`);
            }
            if (Number(end) < now) log.truncate(p.topic, Number(part), Number(end));
          }
        }
      },
      write(batch) {
        log.appendByKey(p.topic, toRecords(batch));
      },
      flush() {
        log.flush();
        const ends: Record<string, number> = {};
        for (let part = 0; part < partitionCount(); part++) ends[part] = log.endOffset(p.topic, part);
        return ends;
      },
      close() {
        ctx.logs.release(log);
      },
    };
  },
});

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
