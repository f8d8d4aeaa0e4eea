import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { MaasflowError } from '../engine/errors.ts';

/** Every error the API answers with: `{ "error": { "code", "message" } }` and its HTTP status. */
export interface ApiErrorBody { error: { code: string; message: string } }

/** Fastify's own request errors, in our words (the code names the problem, the message says where). */
const FASTIFY_ERRORS: Record<string, { code: string; status: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', status: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'REQUEST_INVALID', status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'REQUEST_INVALID', status: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'REQUEST_INVALID', status: 400 },
};

/** HTTP status of our own error codes (anything else is a 500). */
const STATUS_OF: Partial<Record<MaasflowError['code'], number>> = {
  REQUEST_INVALID: 400,
  CONFIG: 400,
  PARAM_GUARD: 400,
  METRIC_UNKNOWN: 400,
  METRIC_BAD_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CHAT_TIMEOUT: 504,
  CHAT_CLOSED: 503,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: ApiErrorBody = { error: { code, message } };
  return reply.code(status).type('application/json').send(body);
}

/** One error handler and one not-found handler for the whole API (registered on the root instance). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | MaasflowError | Error, request, reply) => {
    if (err instanceof MaasflowError) {
      const status = STATUS_OF[err.code] ?? 500;
      if (status >= 500) request.log.error({ err }, 'request failed');
      return sendError(reply, status, err.code, err.message);
    }
    const known = 'code' in err && typeof err.code === 'string' ? FASTIFY_ERRORS[err.code] : undefined;
    if (known) {
      const detail = known.status === 415 ? `content type ${request.headers['content-type'] ?? '(none)'} is not accepted; send application/json` : err.message;
      return sendError(reply, known.status, known.code, `${request.method} ${request.url}: ${detail}`);
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return sendError(reply, 500, 'INTERNAL', `${request.method} ${request.url}: internal error (see the server log)`);
    }
    return sendError(reply, status, 'REQUEST_INVALID', `${request.method} ${request.url}: ${err.message}`);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url}`));
}
