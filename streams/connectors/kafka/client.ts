import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { JsonSchema } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';

/** Connection settings shared by the kafka source and sink (passed through to kafkajs). */
export interface KafkaClientParams {
  /** host:port list or comma-separated string; the KAFKA_BROKERS environment variable overrides it. */
  brokers?: string[] | string;
  clientId?: string;
  ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string; cert?: string; key?: string; servername?: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeout?: number;
  requestTimeout?: number;
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

export const kafkaClientSchema: Record<string, JsonSchema> = {
  brokers: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
  clientId: { type: 'string', minLength: 1 },
  ssl: {
    anyOf: [
      { type: 'boolean' },
      { type: 'object', additionalProperties: false, properties: { rejectUnauthorized: { type: 'boolean' }, ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, servername: { type: 'string' } } },
    ],
  },
  sasl: {
    type: 'object',
    additionalProperties: false,
    required: ['mechanism', 'username', 'password'],
    properties: { mechanism: { enum: ['plain', 'scram-sha-256', 'scram-sha-512'] }, username: { type: 'string' }, password: { type: 'string' } },
  },
  connectionTimeout: { type: 'integer', minimum: 1 },
  requestTimeout: { type: 'integer', minimum: 1 },
  retry: {
    type: 'object',
    additionalProperties: false,
    properties: { retries: { type: 'integer', minimum: 0 }, initialRetryTime: { type: 'integer', minimum: 1 }, maxRetryTime: { type: 'integer', minimum: 1 } },
  },
};

/** Brokers from KAFKA_BROKERS when set, else from the params; a clear error when neither names any. */
export function resolveBrokers(params: KafkaClientParams, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.KAFKA_BROKERS?.trim() ? env.KAFKA_BROKERS : params.brokers;
  const list = (Array.isArray(raw) ? raw : (raw ?? '').split(',')).map((b) => b.trim()).filter(Boolean);
  if (list.length === 0) throw new MaasflowError('CONFIG', 'kafka: no brokers: set params.brokers in the topology or the KAFKA_BROKERS environment variable');
  return list;
}

export function createKafka(params: KafkaClientParams, defaultClientId: string): Kafka {
  const config: KafkaConfig = {
    clientId: params.clientId ?? defaultClientId,
    brokers: resolveBrokers(params),
    logLevel: logLevel.NOTHING,
    connectionTimeout: params.connectionTimeout,
    requestTimeout: params.requestTimeout,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5_000, ...params.retry },
  };
  if (params.ssl !== undefined) config.ssl = params.ssl;
  if (params.sasl) config.sasl = params.sasl as SASLOptions;
  return new Kafka(config);
}
