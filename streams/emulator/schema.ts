/**
 * JSON Schemas of the emulator's two configuration files (structure only;
 * cross-field rules such as unique ids and allowed template placeholders are
 * checked in config.ts, so each error can still point at its own line).
 */

const ID = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' } as const;
/** `category.name`: the category is what scenarios plant and ask about. */
const FACT_KEY = { type: 'string', pattern: '^[a-z][a-z0-9_]*\\.[a-z0-9_.]+$' } as const;
const TEXT = { type: 'string', minLength: 1 } as const;
const TEXTS = { type: 'array', minItems: 1, items: TEXT } as const;
/** Openers/closers may be empty strings ("say nothing extra"). */
const PHRASES = { type: 'array', items: { type: 'string' } } as const;
const CATEGORY = { type: 'string', pattern: '^[a-z][a-z0-9_]*$' } as const;
const RANGE = {
  type: 'object',
  additionalProperties: false,
  required: ['min', 'max'],
  properties: { min: { type: 'integer', minimum: 0, maximum: 100 }, max: { type: 'integer', minimum: 0, maximum: 100 } },
} as const;

export const personasSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['personas'],
  properties: {
    version: { const: 1 },
    description: { type: 'string' },
    personas: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'facts'],
        properties: {
          id: ID,
          name: TEXT,
          traits: { type: 'array', items: TEXT },
          style: {
            type: 'object',
            additionalProperties: false,
            properties: {
              tone: { enum: ['casual', 'formal', 'terse', 'chatty'] },
              openers: PHRASES,
              closers: PHRASES,
              closer_rate: { type: 'number', minimum: 0, maximum: 1 },
            },
          },
          facts: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['key', 'statement', 'question', 'values'],
              properties: { key: FACT_KEY, statement: TEXT, question: TEXT, values: TEXTS },
            },
          },
        },
      },
    },
  },
} as const;

const FOLLOW_UP_PROPS = {
  correct: TEXTS,
  related: TEXTS,
  unknown: TEXTS,
  wrong: TEXTS,
  reask: TEXTS,
  failed: TEXTS,
} as const;

const FACT_SELECTION = {
  type: 'object',
  additionalProperties: false,
  required: ['categories', 'count'],
  properties: { categories: { type: 'array', items: CATEGORY }, count: RANGE, cross_thread: { type: 'boolean' } },
} as const;

export const scenariosSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['follow_ups', 'scenarios'],
  properties: {
    version: { const: 1 },
    description: { type: 'string' },
    unknown_markers: TEXTS,
    follow_ups: { type: 'object', additionalProperties: false, required: Object.keys(FOLLOW_UP_PROPS), properties: FOLLOW_UP_PROPS },
    scenarios: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'goal', 'topic', 'turns', 'openings', 'fillers', 'plants', 'asks'],
        properties: {
          id: ID,
          goal: TEXT,
          topic: TEXT,
          turns: RANGE,
          openings: TEXTS,
          fillers: TEXTS,
          plant_templates: TEXTS,
          ask_templates: TEXTS,
          plants: FACT_SELECTION,
          asks: FACT_SELECTION,
          follow_ups: { type: 'object', additionalProperties: false, properties: FOLLOW_UP_PROPS },
        },
      },
    },
  },
} as const;
