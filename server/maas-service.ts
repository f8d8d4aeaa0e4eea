import type { FastifyInstance } from 'fastify';
import type { RunSummary } from '../engine/runtime.ts';
import type { SchemaRegistry } from '../schemas/index.ts';
import { MaasHost } from '../streams/maas/host.ts';
import { exportJudgeAgreement } from '../operators/sensor/metrics-source.ts';
import { buildServer } from './app.ts';
import type { ControlPlane } from './control-plane.ts';

export interface MaasServiceOptions {
  schemas: SchemaRegistry;
  dataDir: string;
  fresh?: boolean;
  paramsFile?: string;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  logger?: boolean;
  /** Model files for the stages (streams/maas/host.ts). */
  models?: { dir: string; threads?: number };
  onError?: (topology: string, err: Error) => void;
  /** Opens the control plane over the running MaaS (the Manager); served with the dashboard, behind `token`. */
  control?: (host: MaasHost) => Promise<ClosableControlPlane>;
  token?: string;
}

export interface ClosableControlPlane extends ControlPlane {
  close(): Promise<void>;
}

export interface MaasService {
  host: MaasHost;
  control: ClosableControlPlane | undefined;
  app: FastifyInstance;
  /** Base URL of the HTTP API. */
  url: string;
  /** Closes the HTTP API, then stops the MaaS (pipeline, then sensor once it caught up). */
  close(): Promise<{ pipeline: RunSummary; sensor: RunSummary }>;
}

/** The MaaS in this process (MaasHost) behind the HTTP API: POST /v1/chat goes through the requests topic. */
export async function startMaasService(o: MaasServiceOptions): Promise<MaasService> {
  const host = MaasHost.start({ schemas: o.schemas, dataDir: o.dataDir, fresh: o.fresh, paramsFile: o.paramsFile, onError: o.onError, ...(o.models ? { models: o.models } : {}) });
  const unexport = exportJudgeAgreement(host.paths.sensor);
  let app: FastifyInstance;
  let control: ClosableControlPlane | undefined;
  try {
    control = o.control ? await o.control(host) : undefined;
    app = await buildServer({ chat: (r) => host.chat(r), logger: o.logger, control, token: o.token });
    await app.listen({ port: o.port, host: o.hostname ?? '127.0.0.1' });
  } catch (err) {
    unexport();
    await control?.close().catch(() => undefined);
    await host.stop().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    host,
    control,
    app,
    url: `http://${o.hostname ?? '127.0.0.1'}:${port}`,
    async close() {
      unexport();
      await app.close();
      await control?.close();
      return host.stop();
    },
  };
}
