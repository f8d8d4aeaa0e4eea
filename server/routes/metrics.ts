import type { FastifyPluginAsync } from 'fastify';
import { renderMetrics } from '../../engine/metrics-export.ts';

/** GET /metrics: Prometheus text exposition of every registered metrics source (engine/metrics-export.ts). */
export const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await renderMetrics()));
};
