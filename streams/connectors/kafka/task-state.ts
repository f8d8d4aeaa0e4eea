import os from 'node:os';
import { deserialize, serialize } from 'node:v8';
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { TaskSnapshot, TaskStateBackend } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';

export interface KafkaTaskStateOptions {
  kafka: Kafka;
  /** Compacted topic holding the newest snapshot per task (key `task-N`). */
  topic: string;
  /** Prefix of the reader's own consumer group (each process reads the whole topic). */
  readerGroup: string;
  /** How long `load` waits to catch up with the topic before failing (ms). */
  catchUpTimeoutMs?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
}

/**
 * Task snapshots in a Kafka topic, like Kafka Streams' changelogs: every
 * process tails the whole topic and keeps the newest snapshot per task, so
 * whichever member is assigned a partition can restore its task. When two
 * snapshots of a task race (the old owner's last checkpoint landing after
 * the new owner's), the one furthest into the partition wins: each snapshot
 * is consistent with its own offset, so either is a correct restart point.
 */
export class KafkaTaskState implements TaskStateBackend {
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly latest = new Map<number, TaskSnapshot>();
  /** next offset read, per state-topic partition */
  private readonly consumed = new Map<number, number>();
  private failure: unknown;

  constructor(private readonly o: KafkaTaskStateOptions) {}

  async open(): Promise<void> {
    const { kafka, topic } = this.o;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, idempotent: false });
    await this.producer.connect();
    this.consumer = kafka.consumer({
      groupId: `${this.o.readerGroup}.${os.hostname()}.${process.pid}.${Date.now()}`,
      sessionTimeout: this.o.sessionTimeout,
      heartbeatInterval: this.o.heartbeatInterval,
      maxWaitTimeInMs: this.o.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.failure = e.payload.error;
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatch: (payload) => this.read(payload) });
  }

  private async read({ batch }: EachBatchPayload): Promise<void> {
    for (const m of batch.messages) {
      if (m.value) this.keep(deserialize(m.value) as TaskSnapshot);
    }
    const caughtUp = batch.offsetLag() === '0';
    const next = caughtUp ? Number(batch.highWatermark) : Number(batch.lastOffset()) + 1;
    if (next > (this.consumed.get(batch.partition) ?? 0)) this.consumed.set(batch.partition, next);
  }

  private keep(s: TaskSnapshot): void {
    const cur = this.latest.get(s.task);
    if (!cur || s.offset >= cur.offset) this.latest.set(s.task, s);
  }

  async load(task: number): Promise<TaskSnapshot | undefined> {
    const deadline = Date.now() + (this.o.catchUpTimeoutMs ?? 60_000);
    const ends = await this.admin!.fetchTopicOffsets(this.o.topic);
    for (;;) {
      if (this.failure !== undefined) throw new MaasflowError('RUNTIME', `task state reader of ${this.o.topic} stopped: ${(this.failure as Error).message}`, { cause: this.failure, retriable: true });
      if (ends.every((e) => Number(e.high) <= Number(e.low) || (this.consumed.get(e.partition) ?? 0) >= Number(e.high))) break;
      if (Date.now() > deadline) {
        throw new MaasflowError('RUNTIME', `task state topic ${this.o.topic}: could not read up to its end within ${this.o.catchUpTimeoutMs ?? 60_000} ms`, { retriable: true });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.latest.get(task);
  }

  async save(snapshots: readonly TaskSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    const messages = snapshots.map((s) => ({ key: `task-${s.task}`, value: serialize(s) }));
    try {
      await this.producer!.send({ topic: this.o.topic, messages, acks: -1 });
    } catch (err) {
      const size = Math.max(...messages.map((m) => m.value.length));
      throw new MaasflowError('RUNTIME', `cannot store task state in ${this.o.topic} (largest snapshot ${size} bytes; brokers refuse messages above max.message.bytes): ${(err as Error).message}`, { cause: err, retriable: true });
    }
    for (const s of snapshots) this.keep(s);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}
