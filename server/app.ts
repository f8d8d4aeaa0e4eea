import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandlers } from './errors.ts';
import { chatRoutes, type ChatHandler } from './routes/chat.ts';
import { metricsRoutes } from './routes/metrics.ts';

export interface ServerOptions {
  /** Answers POST /v1/chat (a MaaS host's chat, or any client of one). */
  chat: ChatHandler;
  /** Structured request logging (pino); off by default. */
  logger?: boolean;
  /** Largest accepted request body (default 256 KiB: a 16,000-character message escaped twice over fits). */
  bodyLimitBytes?: number;
}

/** The HTTP API: route groups as encapsulated plugins, one error catalogue (server/errors.ts). */
export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimitBytes ?? 256 * 1024 });
  installErrorHandlers(app);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(chatRoutes(o.chat));
  await app.register(metricsRoutes);
  await app.ready();
  return app;
}
