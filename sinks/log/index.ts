import { defineSink } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { durationSchema, parseDuration, type Duration } from '../../engine/duration.ts';
import type { EmbeddedLog } from '../../streams/log/index.ts';
import { recordWriter, valueFormatParams, type ValueFormat } from '../records.ts';

interface LogSinkParams {
  topic: string;
  partitions?: number;
  logDir?: string;
  format?: ValueFormat;
  schema?: string;
  /** Topic retention (applied after checkpoints): delete whole old segments by age and/or size per partition. */
  retention?: { time?: Duration; bytes?: number };
  segmentBytes?: number;
}

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
      ...valueFormatParams.properties,
      retention: { type: 'object', additionalProperties: false, properties: { time: durationSchema, bytes: { type: 'integer', minimum: 1 } } },
      segmentBytes: { type: 'integer', minimum: 1024 },
    },
    if: valueFormatParams.if,
    then: valueFormatParams.then,
  },
  schemaRefs: (p) => (p.schema ? [p.schema] : []),
  create(p, ctx) {
    let log: EmbeddedLog;
    const toRecords = recordWriter(p.format ?? 'json', p.schema, ctx.schemas, ctx.topology);
    const endOffsets = (): Record<number, number> => {
      const ends: Record<number, number> = {};
      for (let part = 0; part < log.topicConfig(p.topic).partitions; part++) ends[part] = log.endOffset(p.topic, part);
      return ends;
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
        // what is in the topic now stays: read-committed readers may read it
        log.markStable(p.topic, endOffsets());
      },
      write(batch) {
        log.appendByKey(p.topic, toRecords(batch));
      },
      flush() {
        log.flush();
        return endOffsets();
      },
      committed(position) {
        log.markStable(p.topic, position as Record<number, number>);
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
