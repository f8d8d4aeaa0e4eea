import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SchemaRegistry } from '../schemas/index.ts';
import { LogProvider } from '../streams/log-provider.ts';
import type { TopologySpec } from '../topologies/spec.ts';
import { CheckpointStore } from './checkpoint.ts';
import type { Position, SourceChunk, TaskStateBackend } from './connectors.ts';
import { parseDuration } from './duration.ts';
import { MaasflowError } from './errors.ts';
import { buildGraph, type BuiltSource, type Graph, type Task } from './graph.ts';
import { InFlight } from './in-flight.ts';
import { MetricsRegistry } from './metrics.ts';
import { PartitionTasks } from './partition-tasks.ts';
import { StateRegistry } from './state.ts';

export interface RunOptions {
  schemas: SchemaRegistry;
  /** Root of the embedded log and checkpoints (default .data). */
  dataDir?: string;
  /** Where checkpoints go (default: the topology's `checkpoint.dir`, else dataDir/checkpoints/NAME). */
  checkpointDir?: string;
  /** Discard an existing checkpoint and start from scratch. */
  fresh?: boolean;
  batchSize?: number;
  maxInFlightBatches?: number;
  checkpointIntervalMs?: number;
  /** Stops the run gracefully (drain, checkpoint, close). */
  signal?: AbortSignal;
  /** Share an open log provider (tests, embedding); otherwise one is created and closed here. */
  logs?: LogProvider;
  onCheckpoint?: (epoch: number) => void;
}

export interface RunSummary {
  topology: string;
  /** True when every source reached its end; false when stopped. */
  completed: boolean;
  restoredFromEpoch: number | null;
  checkpoints: number;
  lastEpoch: number;
  sourceRecords: number;
  sinkRecords: number;
  deadLetters: number;
  lateRecords: number;
  wallMs: number;
  cpuMs: number;
  metrics: Record<string, number>;
}

/**
 * Drives a topology: polls the sources in a fixed rotation and pushes each
 * batch through the RxJS graph; waits while any sink has more than
 * `maxInFlightBatches` batches unwritten (backpressure: a slow sink slows the
 * source, memory stays bounded); every checkpoint interval it drains the
 * sinks, flushes them, and saves source positions, sink positions and keyed
 * state together, then commits source offsets.
 */
export async function runTopology(spec: TopologySpec, options: RunOptions): Promise<RunSummary> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const ownsLogs = !options.logs;
  const logs = options.logs ?? new LogProvider(path.join(dataDir, 'log'));
  const metrics = new MetricsRegistry();
  const state = new StateRegistry();
  const inFlight = new InFlight();
  const store = new CheckpointStore(path.resolve(options.checkpointDir ?? spec.checkpoint?.dir ?? path.join(dataDir, 'checkpoints', spec.name)));
  const batchSize = options.batchSize ?? spec.runtime?.batchSize ?? 4096;
  const maxInFlight = options.maxInFlightBatches ?? spec.runtime?.maxInFlightBatches ?? 4;
  const interval = options.checkpointIntervalMs ?? parseDuration(spec.checkpoint?.interval ?? '2s', 'checkpoint.interval');
  const idlePoll = parseDuration(spec.runtime?.idlePoll ?? '50ms', 'runtime.idlePoll');
  const checkpoints = metrics.counter('checkpoints', {}, 'checkpoints completed');
  const rebalanceCheckpoints = metrics.counter('rebalance_checkpoints', {}, 'checkpoints taken when a rebalance started (task state handed over)');
  const retentionDeleted = metrics.counter('log_segments_deleted', {}, 'log segment files removed by retention');

  let graph: Graph | undefined;
  let main: Task | undefined;
  let partitioned: PartitionTasks | undefined;
  let backend: TaskStateBackend | undefined;
  let epoch = 0;
  let restoredFrom: number | null = null;
  try {
    graph = await buildGraph(spec, { schemas: options.schemas, logs, metrics, dataDir, inFlight });
    const g = graph;
    if (options.fresh) store.clear();
    const cp = store.load();
    if (cp && cp.fingerprint !== g.fingerprint) {
      throw new MaasflowError('CHECKPOINT_MISMATCH', `the checkpoint of "${spec.name}" was taken with a different topology (fingerprint ${cp.fingerprint}, now ${g.fingerprint}); run with --fresh to discard it`);
    }
    for (const s of g.sinks) await s.connector.open(cp?.sinks[s.id]);
    if (cp) {
      epoch = cp.epoch;
      restoredFrom = cp.epoch;
    }
    if (spec.runtime?.tasks === 'perPartition') {
      // positions and state live with the tasks (shared backend), not in this process's checkpoint
      const src = g.sources[0]!;
      backend = src.definition.taskStateBackend!(src.params, { topology: spec.name, id: src.id, dataDir, logs, schemas: options.schemas, metrics, tasks: 'perPartition' });
      await backend.open();
      partitioned = new PartitionTasks(g, src, backend, {
        restored: metrics.counter('tasks_restored', {}, 'tasks restored from a snapshot when their partition was assigned'),
        released: metrics.counter('tasks_released', {}, 'tasks dropped when their partition was revoked'),
      });
      await src.connector.open(undefined);
    } else {
      main = await g.createTask('main', state);
      if (cp) {
        state.restore(cp.state);
        for (const o of main.operators) o.op.onRestore?.();
      }
      for (const s of g.sources) await s.connector.open(cp?.sources[s.id]);
    }

    const failure = (): unknown => g.sinks.find((s) => s.runner.hasFailed)?.runner.error;
    const checkpoint = async (): Promise<void> => {
      // every record before the source positions must have left the operators (asynchronous ones included)
      await inFlight.below(0);
      const err = failure();
      if (err !== undefined) throw err;
      const sinks: Record<string, Position> = {};
      for (const s of g.sinks) sinks[s.id] = await s.runner.flush();
      const sources: Record<string, Position> = {};
      for (const s of g.sources) sources[s.id] = s.connector.position();
      epoch++;
      if (partitioned) await backend!.save(partitioned.snapshots(sources[g.sources[0]!.id]!, epoch));
      store.save({ version: 1, topology: spec.name, fingerprint: g.fingerprint, epoch, createdAt: Date.now(), sources, sinks, state: state.snapshot() });
      for (const s of g.sources) await s.connector.commit(sources[s.id]!);
      for (const s of g.sinks) await s.connector.committed?.(sinks[s.id]!);
      checkpoints.inc();
      // retention only ever removes data that is behind a durable checkpoint
      retentionDeleted.inc(logs.enforceRetention());
      options.onCheckpoint?.(epoch);
    };
    const deliver = (s: BuiltSource, chunk: SourceChunk): void => {
      if (partitioned) {
        if (chunk.values.length > 0) partitioned.dispatch(chunk);
        if (chunk.end) partitioned.finish();
      } else {
        const stage = main!.stages.get(s.id)!;
        stage.push(chunk);
        if (chunk.end) stage.finish();
      }
      if (chunk.end) s.ended = true;
    };

    // A baseline checkpoint records where the sinks start, so a crash before the first interval is undone too.
    if (!cp) await checkpoint();
    let lastCheckpoint = performance.now();
    let lastYield = lastCheckpoint;
    let active = g.sources.filter((s) => !s.ended);
    let rebalancesSeen = 0;
    while (active.length > 0 && !options.signal?.aborted) {
      // synchronous sources and sinks never wait: let timers and signal handlers (SIGINT, abort) run now and then
      if (performance.now() - lastYield >= 20) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      if (partitioned) {
        // state of partitions about to be revoked is checkpointed once per rebalance, then released by sync()
        const rebalances = partitioned.rebalances();
        if (rebalances > rebalancesSeen) {
          await checkpoint();
          lastCheckpoint = performance.now();
          rebalanceCheckpoints.inc();
        }
        rebalancesSeen = rebalances;
        await partitioned.sync();
      }
      let delivered = 0;
      for (const s of active) {
        const chunk = await s.connector.poll(batchSize);
        delivered += chunk.values.length;
        deliver(s, chunk);
        await inFlight.below(maxInFlight);
        for (const k of g.sinks) await k.runner.waitBelow(maxInFlight);
        const err = failure();
        if (err !== undefined) throw err;
      }
      active = active.filter((s) => !s.ended);
      if (performance.now() - lastCheckpoint >= interval) {
        await checkpoint();
        lastCheckpoint = performance.now();
      }
      if (delivered === 0 && active.length > 0) await sleep(idlePoll);
    }
    const err = failure();
    if (err !== undefined) throw err;
    await checkpoint();
    const completed = g.sources.every((s) => s.ended);
    const cpu = process.cpuUsage(cpu0);
    return {
      topology: spec.name,
      completed,
      restoredFromEpoch: restoredFrom,
      checkpoints: checkpoints.value,
      lastEpoch: epoch,
      sourceRecords: metrics.total('source_records'),
      sinkRecords: metrics.total('sink_records'),
      deadLetters: metrics.total('dead_letters'),
      lateRecords: metrics.total('late_records'),
      wallMs: Math.round(performance.now() - wall0),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      metrics: metrics.toJSON(),
    };
  } finally {
    if (graph) {
      for (const s of graph.sinks) s.runner.detach();
      try {
        await main?.dispose();
        await partitioned?.disposeAll();
      } finally {
        for (const s of graph.sinks) await s.connector.close();
        for (const s of graph.sources) await s.connector.close();
      }
    }
    await backend?.close();
    if (ownsLogs) logs.closeAll();
  }
}
