import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { MaasflowError } from '../engine/errors.ts';
import type { Initiator } from '../control/types.ts';

/** Methods that change nothing: open to anyone who can reach the server (the dashboard reads them). */
const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a token may be: printable ASCII without spaces (it travels in a header), long enough not to be guessed. */
export const TOKEN_PATTERN = /^[\x21-\x7e]{16,512}$/;

// Both sides are hashed first: timingSafeEqual needs equal lengths, and comparing digests leaks neither the content nor the length.
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const routeOf = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;

/**
 * onRequest hook of the control API: every mutating request needs
 * `Authorization: Bearer <token>`. It runs before the body is read, so a
 * client without the token learns nothing about the schema (401 before 400).
 */
export function bearerAuth(token: string): onRequestAsyncHookHandler {
  if (!TOKEN_PATTERN.test(token)) throw new MaasflowError('CONFIG', 'the control API token must be 16..512 printable ASCII characters without spaces');
  const expected = digest(token);
  return async (request, reply) => {
    if (READ_ONLY.has(request.method)) return;
    const m = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      throw new MaasflowError('UNAUTHORIZED', `${routeOf(request)} requires Authorization: Bearer <token>`);
    }
    if (!timingSafeEqual(digest(m[1]!), expected)) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new MaasflowError('UNAUTHORIZED', `${routeOf(request)}: the bearer token is not valid`);
    }
  };
}

const USER_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Who the audit log names: `user:<X-Maasflow-User>` when the header is given (and well formed), else `user:api`. */
export function initiatorOf(request: FastifyRequest): Initiator {
  const header = request.headers['x-maasflow-user'];
  if (header === undefined) return 'user:api';
  if (typeof header !== 'string' || !USER_PATTERN.test(header)) {
    throw new MaasflowError('REQUEST_INVALID', `${routeOf(request)}: header X-Maasflow-User must be 1..64 characters of A-Z a-z 0-9 _ . -`);
  }
  return `user:${header}`;
}
