import { Ajv } from 'ajv';

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const tags = { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 200 } } as const;

/** JSON schema of a ChatRequest (POST /v1/chat body, `requests` topic record). */
export const CHAT_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['user_id', 'thread_id', 'message'],
  properties: {
    user_id: id,
    thread_id: id,
    message: { type: 'string', minLength: 1, maxLength: 16_000 },
    client_type: { enum: ['real', 'emulator'] },
    message_id: id,
    experiment_id: id,
    variant: id,
    cycle_type: id,
    eval: {
      type: 'object',
      additionalProperties: false,
      properties: { plants: tags, golden_facts: tags, golden_answer: { type: 'string', maxLength: 2000 } },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(CHAT_REQUEST_SCHEMA);

/** Null when the value is a valid ChatRequest, else one line naming every problem with its field. */
export function checkChatRequest(value: unknown): string | null {
  if (validate(value)) return null;
  return (validate.errors ?? [])
    .map((e) => {
      const at = e.instancePath || '/';
      if (e.keyword === 'required') return `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
      if (e.keyword === 'additionalProperties') return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      return `${at}: ${e.message ?? e.keyword}`;
    })
    .join('; ');
}
