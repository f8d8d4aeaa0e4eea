import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { LiveMetrics } from '../../control/types.ts';
import type { ControlPlane } from '../control-plane.ts';

export interface StreamOptions {
  /** A `: keep-alive` comment this often, so proxies and browsers keep an idle stream open (default 15 s). */
  keepAliveMs?: number;
}

const frame = (m: LiveMetrics): string => `event: metrics\ndata: ${JSON.stringify(m)}\n\n`;

/**
 * GET /v1/metrics/stream: Server-Sent Events. The snapshot first, then every
 * figure the control plane publishes, each as `event: metrics` (the figures
 * carry `cycle` and `active_version`, so a client sees a new cycle or version
 * there). Open streams are ended before the server closes.
 */
export function streamRoutes(control: ControlPlane, options: StreamOptions = {}): FastifyPluginAsync {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  return async (app) => {
    const open = new Set<ServerResponse>();
    // Without this, close() would wait for every connected dashboard to go away.
    app.addHook('preClose', async () => {
      for (const res of open) res.end();
    });

    app.get('/v1/metrics/stream', { exposeHeadRoute: false }, async (request, reply) => {
      const res = reply.raw;
      // Subscribe before reading the snapshot, so no figure published in between is lost.
      const pending: LiveMetrics[] = [];
      let send: (m: LiveMetrics) => void = (m) => pending.push(m);
      const unsubscribe = control.live.subscribe((m) => send(m));
      let keepAlive: NodeJS.Timeout | undefined;
      let closed = false;
      const cleanUp = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        unsubscribe();
        open.delete(res);
      };
      res.on('close', cleanUp);
      let snapshot: LiveMetrics;
      try {
        snapshot = await control.live.snapshot();
      } catch (err) {
        cleanUp();
        throw err;
      }
      reply.hijack();
      if (closed) return; // the client left while the snapshot was read

      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(frame(snapshot));
      // Each figure is a whole snapshot, not a delta: a client that is not reading can skip some and still be right at the next.
      send = (m) => {
        if (!closed && !res.writableNeedDrain) res.write(frame(m));
      };
      for (const m of pending) if (m.at >= snapshot.at) send(m);
      keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
      open.add(res);
    });
  };
}
