import { createHash } from 'node:crypto';
import { merge, type Observable } from 'rxjs';
import type { Batch } from './batch.ts';
import type { ConnectorContext, SinkConnector, SourceConnector } from './connectors.ts';
import { createValueDecoder } from './decode.ts';
import { parseDuration } from './duration.ts';
import { MaasflowError } from './errors.ts';
import { compileExpression } from './expression/index.ts';
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
  state: StateRegistry;
  dataDir: string;
}

export interface BuiltSource { id: string; connector: SourceConnector; stage: SourceStage }
export interface BuiltSink { id: string; connector: SinkConnector; runner: SinkRunner }
export interface BuiltOperator { id: string; op: BatchOperator; wired: WiredNode }

export interface Graph {
  sources: BuiltSource[];
  operators: BuiltOperator[];
  sinks: BuiltSink[];
  /** Hash of the structure a checkpoint depends on. */
  fingerprint: string;
}

/**
 * Compiles a validated topology into a live RxJS graph: one SourceStage per
 * source (ports `out`, `dlq`), one wired operator per operator, one
 * SinkRunner per sink, plus an embedded-log sink per dead-letter topic.
 */
export async function buildGraph(spec: TopologySpec, services: GraphServices): Promise<Graph> {
  const { metrics, state } = services;
  const ctxFor = (id: string): ConnectorContext => ({ topology: spec.name, id, dataDir: services.dataDir, logs: services.logs, schemas: services.schemas, metrics });
  const streams = new Map<string, Observable<Batch>>();
  const sources: BuiltSource[] = [];
  const sinks: BuiltSink[] = [];
  const operators: BuiltOperator[] = [];

  for (const s of spec.sources) {
    const def = sourceDefinition(s.type)!;
    const connector = def.create(s.params ?? {}, ctxFor(s.id));
    const stage = new SourceStage({
      id: s.id,
      connector,
      decoder: createValueDecoder(s.format ?? def.formats[0]!, s.schema, services.schemas),
      eventTime: s.eventTime ? compileExpression(s.eventTime, { variables: RECORD_VARIABLES }) : null,
      maxOutOfOrderness: parseDuration(s.maxOutOfOrderness ?? 0, `sources/${s.id}/maxOutOfOrderness`),
      watermarks: state.store<'wm', WatermarkState>(`source:${s.id}`, '__watermark'),
      records: metrics.counter('source_records', { source: s.id }, 'records delivered by a source after decoding'),
      deadLetters: metrics.counter('dead_letters', { source: s.id }, 'records sent to the dead-letter topic'),
    });
    sources.push({ id: s.id, connector, stage });
    streams.set(`${s.id}.out`, stage.out.asObservable());
    streams.set(`${s.id}.dlq`, stage.dlq.asObservable());
    if (s.deadLetter) {
      const dlqId = `${s.id}.deadLetter`;
      const connectorDlq = def.deadLetterSink && !s.deadLetter.logDir
        ? def.deadLetterSink(s.params ?? {}, s.deadLetter.topic, ctxFor(dlqId))
        : logSink.create({ topic: s.deadLetter.topic, logDir: s.deadLetter.logDir, format: 'deadLetter' }, ctxFor(dlqId));
      const runner = new SinkRunner(dlqId, connectorDlq, metrics.counter('sink_records', { sink: dlqId }, 'records written by a sink'));
      runner.attach(stage.dlq);
      sinks.push({ id: dlqId, connector: connectorDlq, runner });
    }
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
    const ports = def.ports(params);
    const wired = wireOperator({
      op,
      inputs: inputsOf(o).map(lookup),
      ports,
      watermarks: state.store<'wm', NodeWatermarks>(id, '__watermarks'),
      recordsIn: metrics.counter('operator_records_in', { operator: id }, 'records into an operator'),
      recordsOut: metrics.counter('operator_records_out', { operator: id }, 'records out of an operator (all ports)'),
    });
    for (const [port, stream] of wired.ports) streams.set(`${id}.${port}`, stream);
    operators.push({ id, op, wired });
  }

  for (const s of spec.sinks) {
    const def = sinkDefinition(s.type)!;
    const connector = def.create(s.params ?? {}, ctxFor(s.id));
    const runner = new SinkRunner(s.id, connector, metrics.counter('sink_records', { sink: s.id }, 'records written by a sink'));
    const inputs = inputsOf(s).map(lookup);
    runner.attach(inputs.length === 1 ? inputs[0]! : merge(...inputs));
    sinks.push({ id: s.id, connector, runner });
  }

  return { sources, operators, sinks, fingerprint: fingerprint(spec) };
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
