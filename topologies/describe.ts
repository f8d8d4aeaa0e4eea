import { operatorDefinition } from '../operators/registry.ts';
import { sourceDefinition } from '../streams/registry.ts';
import { inputsOf, type TopologySpec } from './spec.ts';
import { parseRef, topologicalOrder } from './validate.ts';

export interface DescribedNode {
  id: string;
  kind: 'source' | 'operator' | 'sink';
  type: string;
  parallelism: number;
  /** What the stream is keyed by when it reaches this node (null: not keyed). */
  keyedBy: string | null;
  window: string | null;
  notes: string | null;
  ports: string[];
}

export interface DescribedEdge { from: string; port: string; to: string }

export interface TopologyDescription {
  name: string;
  parallelism: number;
  nodes: DescribedNode[];
  edges: DescribedEdge[];
}

/** The topology as plain serialisable data (used by the CLI, the HTTP API and snapshot tests). */
export function describeTopology(spec: TopologySpec): TopologyDescription {
  const parallelism = spec.parallelism ?? 1;
  const nodes: DescribedNode[] = [];
  const edges: DescribedEdge[] = [];
  const keyOf = new Map<string, string | null>();

  for (const s of spec.sources) {
    keyOf.set(s.id, null);
    nodes.push({ id: s.id, kind: 'source', type: s.type, parallelism, keyedBy: null, window: null, notes: describeSource(s), ports: ['out', 'dlq'] });
  }
  const byId = new Map((spec.operators ?? []).map((o) => [o.id, o]));
  for (const id of topologicalOrder(spec)) {
    const o = byId.get(id)!;
    const def = operatorDefinition(o.type)!;
    const params = o.params ?? {};
    const d = def.describe(params);
    const upstreamKey = inputsOf(o).map((ref) => keyOf.get(parseRef(ref).id) ?? null).find((k) => k !== null) ?? null;
    const keyedBy = def.keyEffect === 'sets' ? (d.keyBy ?? null) : def.keyEffect === 'clears' ? null : (d.keyBy ?? upstreamKey);
    keyOf.set(id, keyedBy);
    nodes.push({ id, kind: 'operator', type: o.type, parallelism: o.parallelism ?? parallelism, keyedBy, window: d.window ?? null, notes: d.notes ?? null, ports: def.ports(params) });
    for (const ref of inputsOf(o)) edges.push({ from: parseRef(ref).id, port: parseRef(ref).port, to: id });
  }
  for (const s of spec.sinks) {
    const keyedBy = inputsOf(s).map((ref) => keyOf.get(parseRef(ref).id) ?? null).find((k) => k !== null) ?? null;
    nodes.push({ id: s.id, kind: 'sink', type: s.type, parallelism, keyedBy, window: null, notes: null, ports: [] });
    for (const ref of inputsOf(s)) edges.push({ from: parseRef(ref).id, port: parseRef(ref).port, to: s.id });
  }
  for (const s of spec.sources) if (s.deadLetter) edges.push({ from: s.id, port: 'dlq', to: `topic:${s.deadLetter.topic}` });
  return { name: spec.name, parallelism, nodes, edges };
}

function describeSource(s: TopologySpec['sources'][number]): string {
  const parts = [`format ${s.format ?? sourceDefinition(s.type)?.formats[0] ?? 'default'}`];
  if (s.schema) parts.push(`schema ${s.schema}`);
  parts.push(s.eventTime ? `event time ${s.eventTime}` : 'event time = record time');
  if (s.maxOutOfOrderness !== undefined) parts.push(`out-of-orderness ${s.maxOutOfOrderness}`);
  if (s.deadLetter) parts.push(`dead letters -> ${s.deadLetter.topic}`);
  return parts.join(', ');
}

export function renderDescription(d: TopologyDescription): string {
  const lines = [`topology ${d.name} (parallelism ${d.parallelism})`, '', 'nodes:'];
  for (const n of d.nodes) {
    const extra = [n.keyedBy ? `keyed by ${n.keyedBy}` : 'not keyed', n.window ? `window ${n.window}` : null, n.notes, n.kind === 'operator' && n.ports.length > 1 ? `outputs ${n.ports.join(', ')}` : null]
      .filter(Boolean)
      .join('; ');
    lines.push(`  ${n.kind.padEnd(8)} ${n.id.padEnd(20)} ${n.type.padEnd(14)} x${n.parallelism}  ${extra}`);
  }
  lines.push('', 'edges:');
  for (const e of d.edges) lines.push(`  ${e.from}${e.port === 'out' ? '' : `.${e.port}`} -> ${e.to}`);
  return lines.join('\n');
}
