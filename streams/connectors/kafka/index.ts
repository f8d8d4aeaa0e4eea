import { chunkOf } from '../chunk.ts';
import type { Consumer, EachBatchPayload, KafkaMessage, Admin } from 'kafkajs';
import { defineSource, type Position, type SourceChunk } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';
import { HttpSchemaFetcher } from '../../../schemas/http-registry.ts';
import { createKafka, kafkaClientSchema, type KafkaClientParams } from './client.ts';
import { PartitionBuffers } from './partition-buffers.ts';
import { kafkaSink } from '../../../sinks/kafka/index.ts';

export interface KafkaSourceParams extends KafkaClientParams {
  topic: string;
  /** Consumer group (default: TOPOLOGY.SOURCE_ID). */
  group?: string;
  /** Where a partition without a committed offset starts. */
  startFrom?: 'earliest' | 'latest';
  /** Bounded run: end once every assigned partition reached the end offset it had when the source opened. */
  stopAtEnd?: boolean;
  /** Per-partition buffer bound: pause the partition at this many unpolled records (default 20000). */
  maxBufferedRecords?: number;
  /** Confluent-compatible Schema Registry for writer schemas not in the local registry. */
  schemaRegistry?: { url: string; username?: string; password?: string };
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  maxWaitTimeInMs?: number;
}

interface KafkaPosition { offsets: Record<string, number>; cursor: number }

const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP', 'NOT_COORDINATOR']);

/**
 * A Kafka topic through kafkajs, behind the same poll interface as the
 * embedded log. The engine's position (next offset per partition) is what a
 * checkpoint stores; offsets are committed to the group only after a
 * checkpoint (every sink flushed). kafkajs fetches into bounded per-partition
 * buffers; a full buffer pauses its partition (backpressure).
 */
export const kafkaSource = defineSource<KafkaSourceParams>({
  type: 'kafka',
  summary: 'Kafka topic (kafkajs consumer group; offsets committed after checkpoints)',
  formats: ['avro', 'json', 'string', 'bytes'],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      ...kafkaClientSchema,
      topic: { type: 'string', minLength: 1 },
      group: { type: 'string', minLength: 1 },
      startFrom: { enum: ['earliest', 'latest'] },
      stopAtEnd: { type: 'boolean' },
      maxBufferedRecords: { type: 'integer', minimum: 1 },
      schemaRegistry: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: { url: { type: 'string', minLength: 1 }, username: { type: 'string' }, password: { type: 'string' } },
      },
      sessionTimeout: { type: 'integer', minimum: 1 },
      heartbeatInterval: { type: 'integer', minimum: 1 },
      rebalanceTimeout: { type: 'integer', minimum: 1 },
      maxWaitTimeInMs: { type: 'integer', minimum: 1 },
    },
  },
  deadLetterSink(p, topic, ctx) {
    const { brokers, clientId, ssl, sasl, connectionTimeout, requestTimeout, retry } = p;
    return kafkaSink.create({ brokers, clientId, ssl, sasl, connectionTimeout, requestTimeout, retry, topic, format: 'deadLetter' }, ctx);
  },
  create(p, ctx) {
    const group = p.group ?? `${ctx.topology}.${ctx.id}`;
    const maxBuffered = p.maxBufferedRecords ?? 20_000;
    const fetcher = p.schemaRegistry ? new HttpSchemaFetcher(p.schemaRegistry, ctx.schemas) : null;
    let consumer: Consumer | undefined;
    let admin: Admin | undefined;
    let assigned: number[] = [];
    let joined = false;
    let failure: unknown;
    let cursor = 0;
    /** next offset to hand to the engine, per partition */
    const next = new Map<number, number>();
    /** next offset expected from the broker (older ones are re-deliveries after a seek and are dropped) */
    const expected = new Map<number, number>();
    const highWatermark = new Map<number, number>();
    /** checkpoint offsets, applied at the first assignment only */
    let restored: Map<number, number> = new Map();
    /** where each partition started at open (group commit or startFrom): for end and lag before the first record */
    let startOffsets = new Map<number, number>();
    let endOffsets = new Map<number, number>();
    const buffers = new PartitionBuffers(
      maxBuffered,
      (partition) => consumer?.pause([{ topic: p.topic, partitions: [partition] }]),
      (partition) => consumer?.resume([{ topic: p.topic, partitions: [partition] }]),
    );

    const onAssign = (partitions: number[]): void => {
      const now = new Set(partitions);
      for (const part of assigned) {
        if (now.has(part)) continue;
        buffers.drop(part);
        next.delete(part);
        expected.delete(part);
      }
      assigned = [...now].sort((a, b) => a - b);
      for (const part of assigned) {
        // a retained partition continues at the engine's position (kafkajs would go back to the last commit);
        // at the first assignment, a partition the checkpoint knows starts at its offset; any other starts
        // where kafkajs puts it: the group's committed offset, else startFrom
        const at = next.get(part) ?? restored.get(part);
        if (at === undefined) continue;
        buffers.drop(part);
        next.set(part, at);
        expected.set(part, at);
        consumer!.seek({ topic: p.topic, partition: part, offset: String(at) });
      }
      restored = new Map();
      joined = true;
    };

    const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> => {
      const part = batch.partition;
      if (isStale() || !assigned.includes(part)) return;
      highWatermark.set(part, Number(batch.highWatermark));
      const from = expected.get(part);
      for (const m of batch.messages) {
        const off = Number(m.offset);
        if (from !== undefined && off < from) continue;
        buffers.push(part, m);
        expected.set(part, off + 1);
        if (!next.has(part)) next.set(part, off);
      }
      if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
      buffers.checkHigh(part);
      await heartbeat();
    };

    return {
      async open(restore) {
        const r = restore as KafkaPosition | undefined;
        restored = new Map(Object.entries(r?.offsets ?? {}).map(([k, v]) => [Number(k), v]));
        cursor = r?.cursor ?? 0;
        const kafka = createKafka(p, `maasflow-${ctx.topology}`);
        admin = kafka.admin();
        await admin.connect();
        const offsets = await admin.fetchTopicOffsets(p.topic);
        const committed = await admin.fetchOffsets({ groupId: group, topics: [p.topic] });
        const committedByPartition = new Map<number, number>();
        for (const t of committed) for (const c of t.partitions) if (Number(c.offset) >= 0) committedByPartition.set(c.partition, Number(c.offset));
        startOffsets = new Map(offsets.map((o) => [o.partition, committedByPartition.get(o.partition) ?? Number(p.startFrom === 'latest' ? o.high : o.low)]));
        endOffsets = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
        consumer = kafka.consumer({
          groupId: group,
          sessionTimeout: p.sessionTimeout,
          heartbeatInterval: p.heartbeatInterval,
          rebalanceTimeout: p.rebalanceTimeout,
          maxWaitTimeInMs: p.maxWaitTimeInMs,
          allowAutoTopicCreation: false,
        });
        consumer.on(consumer.events.GROUP_JOIN, (e) => onAssign(e.payload.memberAssignment[p.topic] ?? []));
        consumer.on(consumer.events.CRASH, (e) => {
          if (!e.payload.restart) failure = e.payload.error;
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [p.topic], fromBeginning: p.startFrom !== 'latest' });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      },
      async poll(max): Promise<SourceChunk> {
        if (failure !== undefined) throw new MaasflowError('RUNTIME', `kafka consumer of ${p.topic} stopped: ${(failure as Error).message ?? String(failure)}`, { cause: failure, retriable: true });
        const taken: [number, KafkaMessage][] = [];
        const n = assigned.length;
        const share = Math.max(1, Math.ceil(max / Math.max(1, n)));
        for (let k = 0; k < n && taken.length < max; k++) {
          const part = assigned[(cursor + k) % n]!;
          const got = buffers.take(part, Math.min(share, max - taken.length));
          if (got.length === 0) continue;
          for (const m of got) taken.push([part, m]);
          next.set(part, Number(got[got.length - 1]!.offset) + 1);
        }
        if (n > 0) cursor = (cursor + 1) % n;
        if (fetcher && taken.length > 0) await fetcher.ensure(taken.map(([, m]) => m.value));
        const records = taken.map(([partition, msg]) => ({ partition, offset: Number(msg.offset), key: msg.key, value: msg.value, timestamp: Number(msg.timestamp) }));
        const at = (part: number): number => next.get(part) ?? startOffsets.get(part) ?? 0;
        const lagging = assigned.filter((part) => buffers.size(part) > 0 || at(part) < (highWatermark.get(part) ?? endOffsets.get(part) ?? 0));
        const end = p.stopAtEnd === true && joined && records.length === 0 && assigned.every((part) => buffers.size(part) === 0 && at(part) >= (endOffsets.get(part) ?? 0));
        return chunkOf(records, p.topic, lagging, end);
      },
      position(): Position {
        const offsets: Record<string, number> = {};
        for (const part of assigned) {
          const at = next.get(part);
          if (at !== undefined) offsets[part] = at;
        }
        return { offsets, cursor };
      },
      async commit(position) {
        if (!consumer) return;
        const pos = position as unknown as KafkaPosition;
        const list = Object.entries(pos.offsets)
          .filter(([part]) => assigned.includes(Number(part)))
          .map(([part, offset]) => ({ topic: p.topic, partition: Number(part), offset: String(offset) }));
        if (list.length === 0) return;
        try {
          await consumer.commitOffsets(list);
        } catch (err) {
          // during a rebalance the commit is refused; the next checkpoint commits again
          if (!isRebalanceError(err)) throw err;
        }
      },
      async close() {
        await consumer?.disconnect();
        await admin?.disconnect();
      },
    };
  },
});

/** kafkajs wraps protocol errors in retry errors: look down the cause chain for a rebalance error type. */
function isRebalanceError(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && REBALANCE_ERRORS.has(e.type)) return true;
  }
  return false;
}
