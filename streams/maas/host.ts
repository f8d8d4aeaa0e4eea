import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTopology, type RunSummary } from '../../engine/runtime.ts';
import { MaasflowError } from '../../engine/errors.ts';
import type { SchemaRegistry } from '../../schemas/index.ts';
import type { TopologySpec } from '../../topologies/spec.ts';
import { loadTopology } from '../../topologies/validate.ts';
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';
import type { EmbeddedLog } from '../log/index.ts';
import { LogProvider } from '../log-provider.ts';
import { LogChatClient } from './chat-client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PIPELINE_TOPOLOGY = path.join(ROOT, 'topologies/maas/pipeline.yaml');
export const SENSOR_TOPOLOGY = path.join(ROOT, 'topologies/maas/sensor.yaml');
export const DEFAULT_PARAMS_FILE = path.join(ROOT, 'config/params.json');

export interface MaasHostOptions {
  schemas: SchemaRegistry;
  /** Holds the log, checkpoints, maas.duckdb (memory store) and sensor.duckdb. */
  dataDir: string;
  /** The active parameter version. Default: DATA_DIR/params.json, created from config/params.json when missing. */
  paramsFile?: string;
  /** Remove DATA_DIR first. */
  fresh?: boolean;
  /** Rejects a chat request not answered within this (default 30 s). */
  chatTimeoutMs?: number;
  /** A manifests folder with model files for the Analyzer and the Responder (default: built-ins only); llama.cpp threads. */
  models?: { dir: string; threads?: number };
  /** Called when a topology stops with an error (the host stops the other one too). */
  onError?: (topology: string, err: Error) => void;
}

export interface MaasPaths {
  dataDir: string;
  log: string;
  memoryStore: string;
  sensor: string;
  params: string;
}

/**
 * The MaaS in one process: the pipeline topology (requests -> stages ->
 * pipeline_runs, responses, inferences) and the sensor topology
 * (pipeline_runs, inferences -> sensor.duckdb) on one embedded log, and a
 * chat client over that log. The shipped topology files are used as they
 * are, with their `.data/` paths placed under DATA_DIR and the parameter
 * file under the host's choice.
 */
export class MaasHost {
  readonly chatClient: LogChatClient;
  private stopping: Promise<{ pipeline: RunSummary; sensor: RunSummary }> | undefined;

  private constructor(
    readonly paths: MaasPaths,
    private readonly logs: LogProvider,
    private readonly log: EmbeddedLog,
    private readonly specs: { pipeline: TopologySpec; sensor: TopologySpec },
    private readonly controls: { pipeline: AbortController; sensor: AbortController },
    private readonly runs: { pipeline: Promise<RunSummary>; sensor: Promise<RunSummary> },
    chatTimeoutMs: number | undefined,
  ) {
    this.chatClient = new LogChatClient({ log, timeoutMs: chatTimeoutMs });
  }

  static start(o: MaasHostOptions): MaasHost {
    const dataDir = path.resolve(o.dataDir);
    if (o.fresh) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    const paths: MaasPaths = {
      dataDir,
      log: path.join(dataDir, 'log'),
      memoryStore: path.join(dataDir, 'maas.duckdb'),
      sensor: path.join(dataDir, 'sensor.duckdb'),
      params: path.resolve(o.paramsFile ?? path.join(dataDir, 'params.json')),
    };
    if (!fs.existsSync(paths.params)) fs.copyFileSync(DEFAULT_PARAMS_FILE, paths.params);
    const pipeline = placeFiles(loadTopology(PIPELINE_TOPOLOGY, o.schemas).spec, dataDir, paths.params);
    if (o.models) {
      for (const op of pipeline.operators ?? []) op.params = { ...op.params, models: path.resolve(o.models.dir), modelThreads: o.models.threads ?? 1 };
    }
    const sensor = placeFiles(loadTopology(SENSOR_TOPOLOGY, o.schemas).spec, dataDir, paths.params);

    const logs = new LogProvider(paths.log);
    const log = logs.acquire();
    // The sensor may open before the pipeline's sinks: its topics must exist with the pipeline's partition counts.
    for (const s of pipeline.sinks) {
      const topic = s.type === 'log' ? s.params?.topic : undefined;
      if (typeof topic === 'string' && !log.hasTopic(topic)) log.createTopic(topic, { partitions: Number(s.params?.partitions ?? 1) });
    }
    const controls = { pipeline: new AbortController(), sensor: new AbortController() };
    let host: MaasHost | undefined;
    const run = (name: 'pipeline' | 'sensor', spec: TopologySpec): Promise<RunSummary> =>
      runTopology(spec, { schemas: o.schemas, dataDir, logs, signal: controls[name].signal }).catch((err: Error) => {
        o.onError?.(spec.name, err);
        // One half without the other is not a MaaS: stop both (the other's result is still awaited by stop()).
        controls.pipeline.abort();
        controls.sensor.abort();
        host?.chatClient.close();
        throw err;
      });
    const runs = { pipeline: run('pipeline', pipeline), sensor: run('sensor', sensor) };
    // stop() reports these; until then an early failure must not surface as an unhandled rejection
    runs.pipeline.catch(() => undefined);
    runs.sensor.catch(() => undefined);
    host = new MaasHost(paths, logs, log, { pipeline, sensor }, controls, runs, o.chatTimeoutMs);
    return host;
  }

  /** Sends one request through the pipeline and waits for its answer. */
  chat(request: ChatRequest): Promise<ChatResponse> {
    return this.chatClient.chat(request);
  }

  /**
   * JSON records of `topic` past `positions` (next offset per partition;
   * missing entries read from the start) and the positions after them: how
   * the Manager tails the sensor's control.alerts.
   */
  readJsonSince<T>(topic: string, positions: readonly number[]): { records: T[]; positions: number[] } {
    if (!this.log.hasTopic(topic)) return { records: [], positions: [...positions] };
    const records: T[] = [];
    const next: number[] = [];
    const decoder = new TextDecoder();
    for (let p = 0; p < this.log.topicConfig(topic).partitions; p++) {
      let at = Math.max(positions[p] ?? 0, this.log.startOffset(topic, p));
      const end = this.log.endOffset(topic, p);
      while (at < end) {
        const batch = this.log.read(topic, p, at, 1000);
        if (batch.length === 0) break;
        for (const r of batch) if (r.value) records.push(JSON.parse(decoder.decode(r.value)) as T);
        at = batch.at(-1)!.offset + 1;
      }
      next.push(at);
    }
    return { records, positions: next };
  }

  /**
   * Resolves once the sensor has checkpointed everything the pipeline has
   * written so far (its DuckDB tables hold every finished run). Call it
   * when no chat request is waiting.
   */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const reads = this.specs.sensor.sources.flatMap((s) => (s.type === 'log' ? [{ topic: String(s.params?.topic), group: String(s.params?.group ?? `${this.specs.sensor.name}.${s.id}`) }] : []));
    for (;;) {
      const behind = reads.filter(({ topic, group }) => {
        const committed = this.log.committedOffsets(group, topic);
        const n = this.log.topicConfig(topic).partitions;
        for (let p = 0; p < n; p++) if ((committed[p] ?? 0) < this.log.endOffset(topic, p)) return true;
        return false;
      });
      if (behind.length === 0) return;
      if (this.controls.sensor.signal.aborted) throw new MaasflowError('RUNTIME', 'the sensor stopped before it caught up with the pipeline');
      if (Date.now() > deadline) throw new MaasflowError('RUNTIME', `the sensor did not catch up with ${behind.map((b) => b.topic).join(', ')} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Stops the pipeline, lets the sensor take in what it wrote, then stops the sensor; closes the log. */
  stop(): Promise<{ pipeline: RunSummary; sensor: RunSummary }> {
    this.stopping ??= (async () => {
      this.chatClient.close();
      this.controls.pipeline.abort();
      try {
        const pipeline = await this.runs.pipeline;
        await this.settle();
        this.controls.sensor.abort();
        return { pipeline, sensor: await this.runs.sensor };
      } finally {
        this.controls.sensor.abort();
        await this.runs.sensor.catch(() => undefined);
        this.logs.release(this.log);
        this.logs.closeAll();
      }
    })();
    return this.stopping;
  }
}

/** The shipped topologies keep their files under `.data/` and read config/params.json: place them under DATA_DIR. */
function placeFiles(spec: TopologySpec, dataDir: string, paramsFile: string): TopologySpec {
  const place = (params: Record<string, unknown> | undefined): void => {
    if (!params) return;
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'string') continue;
      if (v.startsWith('.data/')) params[k] = path.join(dataDir, v.slice('.data/'.length));
      else if (v === 'config/params.json') params[k] = paramsFile;
    }
  };
  for (const o of spec.operators ?? []) place(o.params);
  for (const s of spec.sinks) place(s.params);
  return spec;
}
