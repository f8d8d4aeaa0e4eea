import { Subject, type Observable } from 'rxjs';
import type { Batch, Key } from './batch.ts';
import { MetricsRegistry } from './metrics.ts';
import { wireOperator, type NodeWatermarks, type WiredNode } from './node.ts';
import type { BatchOperator } from './operator.ts';
import { StateRegistry } from './state.ts';
import { operatorDefinition } from '../operators/registry.ts';
import { inputsOf, type OperatorSpec } from '../topologies/spec.ts';
import { parseRef } from '../topologies/validate.ts';

export interface TestRecord<V = unknown> { value: V; timestamp: number; key?: Key | null }
export interface CollectedRecord { value: unknown; timestamp: number; key: Key | null }

/**
 * Drives operators without sources, sinks or a log (like Kafka Streams'
 * TopologyTestDriver): the test pushes batches with explicit watermarks into
 * named inputs and reads what every operator port emitted. State can be
 * snapshotted and restored into a new driver to test checkpoint semantics.
 */
export class TopologyTestDriver {
  readonly metrics = new MetricsRegistry();
  readonly state = new StateRegistry();
  private readonly inputs = new Map<string, Subject<Batch>>();
  private readonly outputs = new Map<string, CollectedRecord[]>();
  private readonly watermarks = new Map<string, number[]>();
  private readonly nodes: { id: string; op: BatchOperator; wired: WiredNode }[] = [];

  private constructor() {}

  /** Operators in dependency order; any input that names no operator becomes a pushable input. */
  static async create(operators: readonly OperatorSpec[], restore?: Uint8Array): Promise<TopologyTestDriver> {
    const d = new TopologyTestDriver();
    if (restore) d.state.restore(restore);
    const streams = new Map<string, Observable<Batch>>();
    const ids = new Set(operators.map((o) => o.id));
    const lookup = (ref: string): Observable<Batch> => {
      const { id, port } = parseRef(ref);
      if (!ids.has(id)) {
        let input = d.inputs.get(id);
        if (!input) d.inputs.set(id, (input = new Subject<Batch>()));
        return input;
      }
      const s = streams.get(`${id}.${port}`);
      if (!s) throw new Error(`operator ${id} must come before its consumers`);
      return s;
    };
    for (const o of operators) {
      const def = operatorDefinition(o.type);
      if (!def) throw new Error(`unknown operator type ${o.type}`);
      const params = o.params ?? {};
      const op = await def.create(params, {
        id: o.id,
        store: <K, V>(name: string) => d.state.store<K, V>(o.id, name),
        counter: (name, help) => d.metrics.counter(name, { operator: o.id }, help),
      });
      if (restore) op.onRestore?.();
      const ports = def.ports(params);
      const wired = wireOperator({
        op,
        inputs: inputsOf(o).map(lookup),
        ports,
        watermarks: d.state.store<'wm', NodeWatermarks>(o.id, '__watermarks'),
        recordsIn: d.metrics.counter('operator_records_in', { operator: o.id }, ''),
        recordsOut: d.metrics.counter('operator_records_out', { operator: o.id }, ''),
      });
      for (const [port, stream] of wired.ports) {
        const ref = `${o.id}.${port}`;
        streams.set(ref, stream);
        const collected: CollectedRecord[] = [];
        const marks: number[] = [];
        d.outputs.set(ref, collected);
        d.watermarks.set(ref, marks);
        stream.subscribe((b) => {
          marks.push(b.watermark);
          for (let i = 0; i < b.values.length; i++) collected.push({ value: b.values[i], timestamp: b.timestamps[i]!, key: b.keys ? b.keys[i]! : null });
        });
      }
      d.nodes.push({ id: o.id, op, wired });
    }
    return d;
  }

  /** One batch into `input` with the watermark that follows it. */
  push(input: string, records: readonly TestRecord[], watermark: number): void {
    const subject = this.inputs.get(input);
    if (!subject) throw new Error(`no input named ${input}; inputs: ${[...this.inputs.keys()].join(', ')}`);
    const keyed = records.some((r) => r.key !== undefined && r.key !== null);
    subject.next({
      values: records.map((r) => r.value),
      timestamps: Float64Array.from(records.map((r) => r.timestamp)),
      keys: keyed ? records.map((r) => r.key ?? null) : null,
      watermark,
    });
  }

  /** Ends every input (+Infinity watermark, then completion): bounded-input semantics. */
  end(): void {
    for (const subject of this.inputs.values()) {
      subject.next({ values: [], timestamps: new Float64Array(0), keys: null, watermark: Infinity });
      subject.complete();
    }
  }

  /** Everything emitted so far on `operator.port` (port defaults to out). */
  output(ref: string): CollectedRecord[] {
    const { id, port } = parseRef(ref);
    const out = this.outputs.get(`${id}.${port}`);
    if (!out) throw new Error(`no output ${id}.${port}`);
    return out;
  }

  /** Watermarks of the batches emitted on a port, in order. */
  emittedWatermarks(ref: string): number[] {
    const { id, port } = parseRef(ref);
    return this.watermarks.get(`${id}.${port}`) ?? [];
  }

  snapshot(): Uint8Array {
    return this.state.snapshot();
  }
}
