// Kafka -> Avro decode -> transform -> sink through the engine, against raw
// kafkajs consumption of the same topic on the same broker in the same run.
// The broker is librdkafka's mock cluster (a real Kafka-protocol broker in a
// child process), or the cluster in KAFKA_BROKERS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runTopology } from '../engine/runtime.ts';
import { SchemaRegistry } from '../schemas/index.ts';
import type { TopologySpec } from '../topologies/spec.ts';
import { defineSink } from '../engine/connectors.ts';
import { registerSink } from '../sinks/registry.ts';
import { kafkaTarget, TEST_CONSUMER_TIMINGS } from '../test/support/kafka/mock-broker.ts';
import type { BenchRow } from './result.ts';

const RECORDS = Number(process.env.BENCH_KAFKA_RECORDS ?? 300_000);
const PARTITIONS = 4;

/** Bench sink: discards records, noting when the first and the last arrived (wall rate without the group join). */
const clock = { first: 0, last: 0 };
registerSink(
  defineSink<Record<string, never>>({
    type: 'bench-clock',
    summary: 'benchmark sink: first/last arrival times',
    paramsSchema: { type: 'object' },
    create: () => ({
      async open() {},
      write() {
        const now = performance.now();
        if (clock.first === 0) clock.first = now;
        clock.last = now;
      },
      flush: () => null,
      close() {},
    }),
  }),
);

export async function run(): Promise<BenchRow[]> {
  const topic = `bench-${Date.now()}`;
  const target = await kafkaTarget({ brokers: 1, topics: { [topic]: PARTITIONS } });
  const schemas = SchemaRegistry.load();
  const kafka = new Kafka({ clientId: 'bench', brokers: target.brokers, logLevel: logLevel.NOTHING });
  try {
    const encode = schemas.encoder('demo.Reading@1');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 2000) {
      const messages = [];
      for (let j = i; j < Math.min(RECORDS, i + 2000); j++) {
        const sensor = `sensor-${j % 50}`;
        messages.push({ key: sensor, value: Buffer.from(encode({ sensor, value: (j % 1000) / 10, ts: 1_700_000_000_000 + j })) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    const raw = await rawConsume(kafka, topic);
    const engine = await engineConsume(target.brokers, topic, schemas);
    if (engine.records !== RECORDS || raw.records !== RECORDS) throw new Error(`consumed ${engine.records} (engine) / ${raw.records} (raw) of ${RECORDS}`);
    const engineRate = RECORDS / engine.cpuSeconds;
    const rawRate = RECORDS / raw.cpuSeconds;
    return [
      { name: 'kafka.throughput', unit: 'events/cpu-s', value: Math.round(engineRate), baseline: 'raw kafkajs eachBatch', baselineValue: Math.round(rawRate), ratio: round(engineRate / rawRate), target: '>= 0.8', pass: engineRate / rawRate >= 0.8 },
      { name: 'kafka.wall_rate', unit: 'events/s', value: Math.round(RECORDS / engine.wallSeconds), baseline: 'raw kafkajs eachBatch', baselineValue: Math.round(RECORDS / raw.wallSeconds), ratio: round(raw.wallSeconds / engine.wallSeconds) },
    ];
  } finally {
    await target.stop();
  }
}

/** CPU seconds of this process while a fresh group reads every record (counting only), and wall time first record -> last. */
async function rawConsume(kafka: Kafka, topic: string): Promise<{ records: number; cpuSeconds: number; wallSeconds: number }> {
  const consumer = kafka.consumer({ groupId: `raw-${topic}`, ...TEST_CONSUMER_TIMINGS });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let records = 0;
  let first = 0;
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (records === 0) first = performance.now();
        records += batch.messages.length;
        if (records >= RECORDS) resolve();
      },
    });
  });
  const wallSeconds = (performance.now() - first) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  return { records, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds };
}

async function engineConsume(brokers: string[], topic: string, schemas: SchemaRegistry): Promise<{ records: number; cpuSeconds: number; wallSeconds: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bench-kafka-'));
  const spec: TopologySpec = {
    name: 'bench-kafka',
    sources: [{ id: 'in', type: 'kafka', params: { brokers, topic, group: `engine-${topic}`, stopAtEnd: true, ...TEST_CONSUMER_TIMINGS }, format: 'avro', schema: 'demo.Reading@2', eventTime: 'value.ts' }],
    operators: [{ id: 'f', type: 'map', input: 'in', params: { fields: { sensor: 'value.sensor', fahrenheit: 'value.value * 1.8 + 32', ts: 'value.ts' } } }],
    sinks: [{ id: 'out', type: 'bench-clock', input: 'f' }],
  };
  clock.first = 0;
  try {
    const cpu0 = process.cpuUsage();
    const s = await runTopology(spec, { schemas, dataDir });
    const cpu = process.cpuUsage(cpu0);
    return { records: s.sourceRecords, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (clock.last - clock.first) / 1000 };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
