import { createHash } from 'node:crypto';
import { merge, type Observable, type Subscription } from 'rxjs';
import type { Batch } from './batch.ts';
import type { ConnectorContext, SinkConnector, SourceConnector, SourceDefinition } from './connectors.ts';
import { createValueDecoder } from './decode.ts';
import { parseDuration } from './duration.ts';
import { MaasflowError } from './errors.ts';
import { compileExpression } from './expression/index.ts';
import type { InFlight } from './in-flight.ts';
import type { MetricsRegistry } from './metrics.ts';
import { wireOperator, type NodeWatermarks, type WiredNode } from './node.ts';
import type { BatchOperator } from './operator.ts';
import { SinkRunner } from './sink-runner.ts';
import { SourceStage } from './source-stage.ts';
import type { StateRegistry } from './state.ts';
import type { WatermarkState } from './watermark.ts';
import type { SchemaRegistry } from '../schemas/index.ts';
import type { LogProvider } from '../streams/log-provider.ts';
import { operatorDefinition } from '../operators/registry.ts';
import { RECORD_VARIABLES } from '../operators/definition.ts';
import { sourceDefinition } from '../streams/registry.ts';
import { sinkDefinition } from '../sinks/registry.ts';
import { logSink } from '../sinks/log/index.ts';
import { inputsOf, type TopologySpec } from '../topologies/spec.ts';
import { parseRef, topologicalOrder } from '../topologies/validate.ts';

export interface GraphServices {
  schemas: SchemaRegistry;
  logs: LogProvider;
  metrics: MetricsRegistry;
  dataDir: string;
  /** Unfinished batches of asynchronous operators (checkpoints wait for none). */
  inFlight?: InFlight;
}

export interface BuiltSource { id: string; connector: SourceConnector; definition: SourceDefinition; params: unknown; ended: boolean }
export interface BuiltSink { id: string; connector: SinkConnector; runner: SinkRunner }
export interface BuiltOperator { id: string; op: BatchOperator; wired: WiredNode }

/**
 * One instance of the topology's operators with its own state: the whole
 * job in `single` task mode, one source partition in `perPartition` mode.
 * Its source stages take the records the runtime polled; its outputs feed
 * the shared sinks.
 */
export interface Task {
  readonly id: string;
  readonly state: StateRegistry;
  readonly stages: ReadonlyMap<string, SourceStage>;
  readonly operators: readonly BuiltOperator[];
  /** Detaches the task from the sinks, drops its graph (its state goes with it) and releases its operators. */
  dispose(): Promise<void>;
}

export interface Graph {
  sources: BuiltSource[];
  sinks: BuiltSink[];
  /** Hash of the structure a checkpoint depends on. */
  fingerprint: string;
  createTask(id: string, state: StateRegistry): Promise<Task>;
}

/**
 * Compiles a validated topology: source and sink connectors (plus a sink per
 * dead-letter topic) are built once and shared; `createTask` wires an RxJS
 * graph of source stages (ports `out`, `dlq`) and operators into them.
 */
export async function buildGraph(spec: TopologySpec, services: GraphServices): Promise<Graph> {
  const { metrics } = services;
  const tasks = spec.runtime?.tasks ?? 'single';
  const ctxFor = (id: string): ConnectorContext => ({ topology: spec.name, id, dataDir: services.dataDir, logs: services.logs, schemas: services.schemas, metrics, tasks });
  const sinkRunner = (id: string, connector: SinkConnector): SinkRunner => new SinkRunner(id, connector, metrics.counter('sink_records', { sink: id }, 'records written by a sink'));
  const sources: BuiltSource[] = [];
  const sinks: BuiltSink[] = [];
  const deadLetterSinks = new Map<string, SinkRunner>();

  for (const s of spec.sources) {
    const definition = sourceDefinition(s.type)!;
    const params = s.params ?? {};
    sources.push({ id: s.id, connector: definition.create(params, ctxFor(s.id)), definition, params, ended: false });
    if (s.deadLetter) {
      const dlqId = `${s.id}.deadLetter`;
      const connector = definition.deadLetterSink && !s.deadLetter.logDir
        ? definition.deadLetterSink(params, s.deadLetter.topic, ctxFor(dlqId))
        : logSink.create({ topic: s.deadLetter.topic, logDir: s.deadLetter.logDir, format: 'deadLetter' }, ctxFor(dlqId));
      const runner = sinkRunner(dlqId, connector);
      deadLetterSinks.set(s.id, runner);
      sinks.push({ id: dlqId, connector, runner });
    }
  }
  const sinkRunners = new Map<string, SinkRunner>();
  for (const s of spec.sinks) {
    const connector = sinkDefinition(s.type)!.create(s.params ?? {}, ctxFor(s.id));
    const runner = sinkRunner(s.id, connector);
    sinkRunners.set(s.id, runner);
    sinks.push({ id: s.id, connector, runner });
  }

  const createTask = async (taskId: string, state: StateRegistry): Promise<Task> => {
    const streams = new Map<string, Observable<Batch>>();
    const stages = new Map<string, SourceStage>();
    const operators: BuiltOperator[] = [];
    const attached: Subscription[] = [];
    for (const s of spec.sources) {
      const def = sourceDefinition(s.type)!;
      const stage = new SourceStage({
        id: s.id,
        decoder: createValueDecoder(s.format ?? def.formats[0]!, s.schema, services.schemas),
        eventTime: s.eventTime ? compileExpression(s.eventTime, { variables: RECORD_VARIABLES }) : null,
        maxOutOfOrderness: parseDuration(s.maxOutOfOrderness ?? 0, `sources/${s.id}/maxOutOfOrderness`),
        watermarks: state.store<'wm', WatermarkState>(`source:${s.id}`, '__watermark'),
        records: metrics.counter('source_records', { source: s.id }, 'records delivered by a source after decoding'),
        deadLetters: metrics.counter('dead_letters', { source: s.id }, 'records sent to the dead-letter topic'),
      });
      stages.set(s.id, stage);
      streams.set(`${s.id}.out`, stage.out.asObservable());
      streams.set(`${s.id}.dlq`, stage.dlq.asObservable());
      const dlq = deadLetterSinks.get(s.id);
      if (dlq) attached.push(dlq.attach(stage.dlq));
    }

    const lookup = (ref: string): Observable<Batch> => {
      const { id, port } = parseRef(ref);
      const stream = streams.get(`${id}.${port}`);
      if (!stream) throw new MaasflowError('RUNTIME', `internal: stream ${id}.${port} was not built`);
      return stream;
    };

    const byId = new Map((spec.operators ?? []).map((o) => [o.id, o]));
    for (const id of topologicalOrder(spec)) {
      const o = byId.get(id)!;
      const def = operatorDefinition(o.type)!;
      const params = o.params ?? {};
      const op = await def.create(params, {
        id,
        store: <K, V>(name: string) => state.store<K, V>(id, name),
        counter: (name, help) => metrics.counter(name, { operator: id }, help),
      });
      const wired = wireOperator({
        op,
        inputs: inputsOf(o).map(lookup),
        ports: def.ports(params),
        watermarks: state.store<'wm', NodeWatermarks>(id, '__watermarks'),
        recordsIn: metrics.counter('operator_records_in', { operator: id }, 'records into an operator'),
        recordsOut: metrics.counter('operator_records_out', { operator: id }, 'records out of an operator (all ports)'),
        inFlight: services.inFlight,
      });
      for (const [port, stream] of wired.ports) streams.set(`${id}.${port}`, stream);
      operators.push({ id, op, wired });
    }

    for (const s of spec.sinks) {
      const inputs = inputsOf(s).map(lookup);
      attached.push(sinkRunners.get(s.id)!.attach(inputs.length === 1 ? inputs[0]! : merge(...inputs)));
    }
    return {
      id: taskId,
      state,
      stages,
      operators,
      async dispose() {
        for (const a of attached) a.unsubscribe();
        for (const o of operators) o.wired.subscription.unsubscribe();
        for (const o of operators) await o.op.release?.();
      },
    };
  };

  return { sources, sinks, fingerprint: fingerprint(spec), createTask };
}

export function fingerprint(spec: TopologySpec): string {
  const shape = {
    // positions are only meaningful for the same sources and sinks: their params count too
    sources: spec.sources.map((s) => [s.id, s.type, s.params ?? {}, s.format ?? null, s.schema ?? null, s.eventTime ?? null, s.maxOutOfOrderness ?? null, s.deadLetter ?? null]),
    operators: (spec.operators ?? []).map((o) => [o.id, o.type, inputsOf(o), o.params ?? {}]),
    sinks: spec.sinks.map((s) => [s.id, s.type, inputsOf(s), s.params ?? {}]),
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}
