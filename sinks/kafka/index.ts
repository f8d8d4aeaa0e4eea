import { CompressionTypes, type Producer } from 'kafkajs';
import { defineSink } from '../../engine/connectors.ts';
import { createKafka, kafkaClientSchema, type KafkaClientParams } from '../../streams/connectors/kafka/client.ts';
import { recordWriter, valueFormatParams, type ValueFormat } from '../records.ts';

export interface KafkaSinkParams extends KafkaClientParams {
  topic: string;
  format?: ValueFormat;
  schema?: string;
  /** -1 (all in-sync replicas, default), 1 (leader) or 0 (none). */
  acks?: -1 | 0 | 1;
  compression?: 'none' | 'gzip';
  /** Broker-side timeout of one produce request, ms. */
  timeout?: number;
}

/**
 * Produces to a Kafka topic with kafkajs: one produce call per batch, keyed
 * records partitioned by kafkajs' default (Java-compatible murmur2)
 * partitioner, `acks: -1` by default, retries with one request in flight so
 * per-key order survives retries. A checkpoint waits until every send is
 * acknowledged. Delivery is at-least-once: after a crash the batches since
 * the last checkpoint are produced again (the mock broker used in tests, and
 * many clusters, do not allow idempotent or transactional producers here).
 */
export const kafkaSink = defineSink<KafkaSinkParams>({
  type: 'kafka',
  summary: 'Kafka topic (kafkajs producer, acks -1, at-least-once)',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['topic'],
    properties: {
      ...kafkaClientSchema,
      topic: { type: 'string', minLength: 1 },
      ...valueFormatParams.properties,
      acks: { enum: [-1, 0, 1] },
      compression: { enum: ['none', 'gzip'] },
      timeout: { type: 'integer', minimum: 1 },
    },
    if: valueFormatParams.if,
    then: valueFormatParams.then,
  },
  schemaRefs: (p) => (p.schema ? [p.schema] : []),
  create(p, ctx) {
    const toRecords = recordWriter(p.format ?? 'json', p.schema, ctx.schemas, ctx.topology);
    let producer: Producer | undefined;
    return {
      async open() {
        producer = createKafka(p, `maasflow-${ctx.topology}`).producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, idempotent: false });
        await producer.connect();
      },
      async write(batch) {
        const messages = toRecords(batch).map((r) => ({ key: r.key, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength), timestamp: String(r.timestamp), headers: r.headers }));
        await producer!.send({ topic: p.topic, messages, acks: p.acks ?? -1, compression: p.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None, timeout: p.timeout });
      },
      flush: () => null,
      async close() {
        await producer?.disconnect();
      },
    };
  },
});
