import type { FastifyPluginAsync } from 'fastify';
import { MaasflowError } from '../../engine/errors.ts';
import { checkChatRequest } from '../../operators/maas/request-schema.ts';
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';

export type ChatHandler = (request: ChatRequest) => Promise<ChatResponse>;

/**
 * POST /v1/chat: a ChatRequest (operators/maas/request-schema.ts) in, the
 * ChatResponse with its run id out: 200 when the run completed, 500 with the
 * same body and the reason when it failed. The body is checked with the
 * validator the pipeline's intake uses, before anything is sent: a bad body is
 * a 400 that names each bad field, and nothing reaches the MaaS.
 */
export function chatRoutes(chat: ChatHandler): FastifyPluginAsync {
  return async (app) => {
    app.post('/v1/chat', async (request, reply) => {
      const problem = checkChatRequest(request.body);
      if (problem) throw new MaasflowError('REQUEST_INVALID', `POST /v1/chat body: ${problem}`);
      const response = await chat(request.body as ChatRequest);
      return reply.code(response.status === 'COMPLETED' ? 200 : 500).send(response);
    });
  };
}
