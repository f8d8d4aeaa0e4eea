import { durationSchema } from '../engine/duration.ts';

const ID = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' } as const;
const INPUT = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  ],
} as const;

/** JSON Schema of a topology file (structure only; types and params are checked against the registries). */
export const topologySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'sources', 'sinks'],
  properties: {
    name: ID,
    description: { type: 'string' },
    parallelism: { type: 'integer', minimum: 1, maximum: 1024 },
    runtime: {
      type: 'object',
      additionalProperties: false,
      properties: {
        batchSize: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        maxInFlightBatches: { type: 'integer', minimum: 1, maximum: 1024 },
        idlePoll: durationSchema,
        tasks: { enum: ['single', 'perPartition'] },
      },
    },
    checkpoint: { type: 'object', additionalProperties: false, properties: { interval: durationSchema, dir: { type: 'string' } } },
    sources: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type'],
        properties: {
          id: ID,
          type: { type: 'string' },
          params: { type: 'object' },
          format: { enum: ['object', 'avro', 'json', 'string', 'bytes'] },
          schema: { type: 'string' },
          eventTime: { type: 'string' },
          maxOutOfOrderness: durationSchema,
          deadLetter: { type: 'object', additionalProperties: false, required: ['topic'], properties: { topic: { type: 'string', minLength: 1 }, logDir: { type: 'string' } } },
        },
      },
    },
    operators: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'input'],
        properties: { id: ID, type: { type: 'string' }, input: INPUT, params: { type: 'object' }, parallelism: { type: 'integer', minimum: 1, maximum: 1024 } },
      },
    },
    sinks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'input'],
        properties: { id: ID, type: { type: 'string' }, input: INPUT, params: { type: 'object' } },
      },
    },
  },
} as const;
