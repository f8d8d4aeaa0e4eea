import { chunkOf } from '../chunk.ts';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { defineSource, type Position, type SourceChunk } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';
import { HttpSchemaFetcher } from '../../../schemas/http-registry.ts';
import { createKafka, kafkaClientSchema, type KafkaClientParams } from './client.ts';
import { PartitionBuffers } from './partition-buffers.ts';
import { KafkaTaskState } from './task-state.ts';
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
  /** perPartition task mode: compacted topic of task snapshots (default GROUP.state). */
  stateTopic?: string;
  /** How often a consumer that stopped on a non-retriable error is recreated before the source fails (default 5). */
  maxConsumerRestarts?: number;
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
      stateTopic: { type: 'string', minLength: 1 },
      maxConsumerRestarts: { type: 'integer', minimum: 0 },
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
  taskStateBackend(p, ctx) {
    const group = groupOf(p, ctx.topology, ctx.id);
    return new KafkaTaskState({
      kafka: createKafka(p, `maasflow-${ctx.topology}`),
      topic: p.stateTopic ?? `${group}.state`,
      readerGroup: `${group}.state-reader`,
      sessionTimeout: p.sessionTimeout,
      heartbeatInterval: p.heartbeatInterval,
      maxWaitTimeInMs: p.maxWaitTimeInMs,
    });
  },
  create(p, ctx) {
    const group = groupOf(p, ctx.topology, ctx.id);
    const tasks = ctx.tasks === 'perPartition';
    const restarts = ctx.metrics.counter('kafka_consumer_restarts', { source: ctx.id }, 'kafka consumers recreated after a non-retriable error');
    const maxBuffered = p.maxBufferedRecords ?? 20_000;
    const fetcher = p.schemaRegistry ? new HttpSchemaFetcher(p.schemaRegistry, ctx.schemas) : null;
    let consumer: Consumer | undefined;
    let admin: Admin | undefined;
    let assigned: number[] = [];
    /** perPartition mode: assigned partitions waiting for the runtime to restore their task (paused, not delivered) */
    const pending = new Set<number>();
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

    const forget = (part: number): void => {
      buffers.drop(part);
      next.delete(part);
      expected.delete(part);
      pending.delete(part);
    };

    /** member id of the last assignment, and whether a rebalance is under way (task mode) */
    let member: string | undefined;
    let fenced = false;
    /** rebalances seen so far: at their start (REBALANCING, a crash) or, when that went unseen, at the join */
    let rebalances = 0;
    const fence = (): void => {
      if (!fenced) rebalances++;
      fenced = true;
    };

    const onAssign = (partitions: number[], memberId: string): void => {
      const now = new Set(partitions);
      // a new member id means this process was out of the group (session expired, consumer recreated): others may
      // have owned and advanced its partitions meanwhile, so in task mode every partition is restored again
      const continuous = member === undefined || memberId === member;
      // a rejoin whose start went unseen (detected by a heartbeat) is a rebalance too
      if (tasks && !fenced && member !== undefined) rebalances++;
      member = memberId;
      fenced = false;
      const before = new Set(tasks && !continuous ? [] : assigned);
      for (const part of assigned) if (!now.has(part)) forget(part);
      assigned = [...now].sort((a, b) => a - b);
      if (tasks) {
        // new partitions wait until the runtime restored their task (startPartition); retained ones continue
        const fresh = assigned.filter((part) => !before.has(part) || pending.has(part));
        for (const part of fresh) {
          forget(part);
          pending.add(part);
        }
        if (fresh.length > 0) consumer!.pause([{ topic: p.topic, partitions: fresh }]);
      }
      for (const part of assigned) {
        if (pending.has(part)) continue;
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
      if (isStale() || !assigned.includes(part) || pending.has(part)) return;
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

    let restartsLeft = p.maxConsumerRestarts ?? 5;
    let stopping = false;
    const startConsumer = async (kafka: Kafka): Promise<void> => {
      const c = kafka.consumer({
        groupId: group,
        sessionTimeout: p.sessionTimeout,
        heartbeatInterval: p.heartbeatInterval,
        rebalanceTimeout: p.rebalanceTimeout,
        maxWaitTimeInMs: p.maxWaitTimeInMs,
        allowAutoTopicCreation: false,
      });
      consumer = c;
      c.on(c.events.GROUP_JOIN, (e) => {
        if (consumer === c) onAssign(e.payload.memberAssignment[p.topic] ?? [], e.payload.memberId);
      });
      // stop handing out records once a rebalance starts, so a partition moving away is not processed here
      // while its new owner already restores it (eager rebalance: kafkajs has no revoke callback)
      c.on(c.events.REBALANCING, () => {
        if (consumer === c && tasks) fence();
      });
      c.on(c.events.CRASH, (e) => {
        if (consumer !== c || stopping) return;
        // out of the group until the next join (whose generation then is not continuous)
        if (tasks) fence();
        if (e.payload.restart) return;
        if (restartsLeft-- <= 0) {
          failure = e.payload.error;
          return;
        }
        // kafkajs gives up on some protocol errors (e.g. INVALID_REQUEST from a broker mid-rebalance): rejoin with a new consumer
        restarts.inc();
        void c.disconnect().catch(() => undefined).then(() => startConsumer(kafka)).catch((err: unknown) => { failure = err; });
      });
      await c.connect();
      await c.subscribe({ topics: [p.topic], fromBeginning: p.startFrom !== 'latest' });
      await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    };

    /** Where a partition without a task snapshot starts: the group's committed offset, else startFrom. */
    const initialOffset = async (part: number): Promise<number> => {
      const committed = await admin!.fetchOffsets({ groupId: group, topics: [p.topic] });
      const c = committed.flatMap((t) => t.partitions).find((x) => x.partition === part);
      if (c && Number(c.offset) >= 0) return Number(c.offset);
      const ends = await admin!.fetchTopicOffsets(p.topic);
      const e = ends.find((x) => x.partition === part);
      return Number((p.startFrom === 'latest' ? e?.high : e?.low) ?? 0);
    };

    /** stopAtEnd in a group: partitions other members own count as done once the group committed their end offsets. */
    let groupCheckedAt = 0;
    const othersDone = async (): Promise<boolean> => {
      const others = [...endOffsets.keys()].filter((part) => !assigned.includes(part));
      if (others.length === 0) return true;
      if (Date.now() - groupCheckedAt < 500) return false;
      groupCheckedAt = Date.now();
      const committed = await admin!.fetchOffsets({ groupId: group, topics: [p.topic] });
      const at = new Map(committed.flatMap((t) => t.partitions).map((x) => [x.partition, Number(x.offset)]));
      return others.every((part) => (at.get(part) ?? -1) >= (endOffsets.get(part) ?? 0));
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
        await startConsumer(kafka);
      },
      async poll(max): Promise<SourceChunk> {
        if (failure !== undefined) throw new MaasflowError('RUNTIME', `kafka consumer of ${p.topic} stopped: ${(failure as Error).message ?? String(failure)}`, { cause: failure, retriable: true });
        const taken: [number, KafkaMessage][] = [];
        const started = fenced ? [] : assigned.filter((part) => !pending.has(part));
        const n = started.length;
        const share = Math.max(1, Math.ceil(max / Math.max(1, n)));
        for (let k = 0; k < n && taken.length < max; k++) {
          const part = started[(cursor + k) % n]!;
          const got = buffers.take(part, Math.min(share, max - taken.length));
          if (got.length === 0) continue;
          for (const m of got) taken.push([part, m]);
          next.set(part, Number(got[got.length - 1]!.offset) + 1);
        }
        if (n > 0) cursor = (cursor + 1) % n;
        if (fetcher && taken.length > 0) await fetcher.ensure(taken.map(([, m]) => m.value));
        const records = taken.map(([partition, msg]) => ({ partition, offset: Number(msg.offset), key: msg.key, value: msg.value, timestamp: Number(msg.timestamp) }));
        const at = (part: number): number => next.get(part) ?? startOffsets.get(part) ?? 0;
        const lagging = started.filter((part) => buffers.size(part) > 0 || at(part) < (highWatermark.get(part) ?? endOffsets.get(part) ?? 0));
        const end = p.stopAtEnd === true && joined && records.length === 0 && pending.size === 0
          && assigned.every((part) => buffers.size(part) === 0 && at(part) >= (endOffsets.get(part) ?? 0))
          && (await othersDone());
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
      partitions() {
        return { assigned, pending: [...pending], rebalances };
      },
      async startPartition(part, offset) {
        if (!pending.has(part)) return;
        const at = offset ?? (await initialOffset(part));
        if (!pending.has(part)) return; // revoked meanwhile
        pending.delete(part);
        buffers.drop(part);
        next.set(part, at);
        expected.set(part, at);
        consumer!.seek({ topic: p.topic, partition: part, offset: String(at) });
        consumer!.resume([{ topic: p.topic, partitions: [part] }]);
      },
      async close() {
        stopping = true;
        await consumer?.disconnect();
        await admin?.disconnect();
      },
    };
  },
});

function groupOf(p: KafkaSourceParams, topology: string, id: string): string {
  return p.group ?? `${topology}.${id}`;
}

/** kafkajs wraps protocol errors in retry errors: look down the cause chain for a rebalance error type. */
function isRebalanceError(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && REBALANCE_ERRORS.has(e.type)) return true;
  }
  return false;
}
