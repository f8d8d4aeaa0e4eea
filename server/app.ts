import Fastify, { type FastifyInstance } from 'fastify';
import { MaasflowError } from '../engine/errors.ts';
import { bearerAuth } from './auth.ts';
import type { ControlPlane } from './control-plane.ts';
import { installErrorHandlers } from './errors.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { chatRoutes, type ChatHandler } from './routes/chat.ts';
import { cycleRoutes } from './routes/cycles.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { experimentRoutes } from './routes/experiments.ts';
import { goalRoutes } from './routes/goals.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { parameterRoutes } from './routes/parameters.ts';
import { reportRoutes } from './routes/reports.ts';
import { streamRoutes } from './routes/stream.ts';

export interface ServerOptions {
  /** Answers POST /v1/chat (a MaaS host's chat, or any client of one). */
  chat: ChatHandler;
  /** Structured request logging (pino); off by default. */
  logger?: boolean;
  /** Largest accepted request body (default 256 KiB: a 16,000-character message escaped twice over fits). */
  bodyLimitBytes?: number;
  /** Serves the control API (/v1/experiments, /v1/parameters, ...) and the dashboard at GET /; needs `token`. */
  control?: ControlPlane;
  /** Bearer token every mutating control route requires (16..512 printable ASCII characters). */
  token?: string;
  /** Keep-alive comment interval of GET /v1/metrics/stream (default 15 s). */
  sseKeepAliveMs?: number;
}

/** The HTTP API: route groups as encapsulated plugins, one error catalogue (server/errors.ts). */
export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  // Checked before anything starts: there is no unauthenticated mutation API.
  if (o.control && o.token === undefined) throw new MaasflowError('CONFIG', 'buildServer: the control API needs a token (options.token); mutating routes require Authorization: Bearer <token>');
  const auth = o.control && o.token !== undefined ? bearerAuth(o.token) : undefined;

  const app = Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimitBytes ?? 256 * 1024 });
  installErrorHandlers(app);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(chatRoutes(o.chat));
  await app.register(metricsRoutes);
  const control = o.control;
  if (control && auth) {
    // One encapsulated scope: the auth hook covers every control route and nothing outside it (POST /v1/chat stays open).
    await app.register(async (scope) => {
      scope.addHook('onRequest', auth);
      await scope.register(experimentRoutes(control));
      await scope.register(parameterRoutes(control));
      await scope.register(goalRoutes(control));
      await scope.register(approvalRoutes(control));
      await scope.register(reportRoutes(control));
      await scope.register(cycleRoutes(control));
      await scope.register(streamRoutes(control, o.sseKeepAliveMs === undefined ? {} : { keepAliveMs: o.sseKeepAliveMs }));
      await scope.register(dashboardRoutes);
    });
  }
  await app.ready();
  return app;
}
