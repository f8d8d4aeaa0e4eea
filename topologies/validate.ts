import fs from 'node:fs';
import { MaasflowError, ValidationErrors } from '../engine/errors.ts';
import { checkExpression } from '../engine/expression/index.ts';
import { operatorDefinition, operatorTypes } from '../operators/registry.ts';
import { RECORD_VARIABLES } from '../operators/definition.ts';
import { sourceDefinition, sourceTypes } from '../streams/registry.ts';
import { sinkDefinition, sinkTypes } from '../sinks/registry.ts';
import type { SchemaRegistry } from '../schemas/index.ts';
import { validateAgainst } from './ajv-errors.ts';
import { topologySchema } from './schema.ts';
import { SourceFile } from './source-file.ts';
import { inputsOf, type TopologySpec } from './spec.ts';

export interface ValidatedTopology {
  spec: TopologySpec;
  file: string;
}

/** Reads, parses and validates a topology file; throws ValidationErrors listing every problem found. */
export function loadTopology(file: string, schemas: SchemaRegistry): ValidatedTopology {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationErrors([new MaasflowError('TOPOLOGY_PARSE', `cannot read topology file: ${(err as Error).message}`, { location: { file } })]);
  }
  return parseTopology(file, text, schemas);
}

export function parseTopology(file: string, text: string, schemas: SchemaRegistry): ValidatedTopology {
  const { source, errors: parseErrors } = SourceFile.parse(file, text);
  if (!source) throw new ValidationErrors(parseErrors);
  const structural = validateAgainst(topologySchema, source.data, source, [], 'TOPOLOGY_SCHEMA');
  if (structural.length > 0) throw new ValidationErrors(structural);
  const spec = source.data as TopologySpec;
  const errors = checkSemantics(spec, source, schemas);
  if (errors.length > 0) throw new ValidationErrors(errors);
  return { spec, file };
}

type Kind = 'sources' | 'operators' | 'sinks';

function checkSemantics(spec: TopologySpec, src: SourceFile, schemas: SchemaRegistry): MaasflowError[] {
  const errors: MaasflowError[] = [];
  const operators = spec.operators ?? [];
  /** node id -> its output ports (null: unknown, because the node's type or params are invalid) */
  const ports = new Map<string, string[] | null>();
  const where = new Map<string, [Kind, number]>();

  const claim = (id: string, kind: Kind, i: number): void => {
    const prev = where.get(id);
    if (prev) errors.push(src.error('TOPOLOGY_DUPLICATE_ID', [kind, i, 'id'], `id "${id}" is already used by /${prev[0]}/${prev[1]}`));
    else where.set(id, [kind, i]);
  };

  const checkSchemaRef = (ref: string, path: (string | number)[]): void => {
    const subject = ref.split('@')[0]!;
    if (!schemas.has(subject)) {
      errors.push(src.error('TOPOLOGY_UNKNOWN_SCHEMA', path, `unknown schema "${ref}"; known: ${schemas.subjects().join(', ') || '(none)'}`));
      return;
    }
    try {
      schemas.resolveRef(ref);
    } catch (err) {
      errors.push(src.error('TOPOLOGY_UNKNOWN_SCHEMA', path, (err as Error).message));
    }
  };

  const checkExpr = (expr: string, variables: readonly string[], path: (string | number)[]): void => {
    for (const msg of checkExpression(expr, { variables })) errors.push(src.error('TOPOLOGY_BAD_EXPRESSION', path, msg));
  };

  spec.sources.forEach((s, i) => {
    claim(s.id, 'sources', i);
    const def = sourceDefinition(s.type);
    if (!def) {
      errors.push(src.error('TOPOLOGY_UNKNOWN_CONNECTOR', ['sources', i, 'type'], `unknown source type "${s.type}"; known: ${sourceTypes().join(', ')}`));
      ports.set(s.id, null);
      return;
    }
    errors.push(...validateAgainst(def.paramsSchema, s.params ?? {}, src, ['sources', i, 'params'], 'TOPOLOGY_BAD_PARAMS'));
    const format = s.format ?? def.formats[0]!;
    if (!def.formats.includes(format)) errors.push(src.error('TOPOLOGY_BAD_PARAMS', ['sources', i, 'format'], `source type "${s.type}" cannot deliver format "${format}"; it supports: ${def.formats.join(', ')}`));
    if (format === 'avro' && !s.schema) errors.push(src.error('TOPOLOGY_SCHEMA', ['sources', i, 'schema'], 'missing required field "schema" (format avro needs a reader schema)'));
    if (s.schema) checkSchemaRef(s.schema, ['sources', i, 'schema']);
    if (s.eventTime) checkExpr(s.eventTime, RECORD_VARIABLES, ['sources', i, 'eventTime']);
    ports.set(s.id, ['out', 'dlq']);
  });
  if (spec.runtime?.tasks === 'perPartition') {
    // a task is one partition of one source; co-partitioned multi-topic tasks are not supported (yet)
    if (spec.sources.length !== 1) {
      errors.push(src.error('TOPOLOGY_BAD_PARAMS', ['runtime', 'tasks'], `tasks "perPartition" needs exactly one source (this topology has ${spec.sources.length}): a task is one partition of that source`));
    } else {
      const def = sourceDefinition(spec.sources[0]!.type);
      if (def && !def.taskStateBackend) errors.push(src.error('TOPOLOGY_BAD_PARAMS', ['runtime', 'tasks'], `tasks "perPartition" needs a group-managed source (kafka); source type "${def.type}" has no partition assignment`));
    }
  }

  operators.forEach((o, i) => {
    claim(o.id, 'operators', i);
    const def = operatorDefinition(o.type);
    if (!def) {
      errors.push(src.error('TOPOLOGY_UNKNOWN_OPERATOR', ['operators', i, 'type'], `unknown operator type "${o.type}"; known: ${operatorTypes().join(', ')}`));
      ports.set(o.id, null);
      return;
    }
    const paramErrors = validateAgainst(def.paramsSchema, o.params ?? {}, src, ['operators', i, 'params'], 'TOPOLOGY_BAD_PARAMS');
    errors.push(...paramErrors);
    const n = inputsOf(o).length;
    if (n < def.inputs.min || n > def.inputs.max) {
      const want = def.inputs.min === def.inputs.max ? `${def.inputs.min}` : `${def.inputs.min}..${def.inputs.max}`;
      errors.push(src.error('TOPOLOGY_BAD_PARAMS', ['operators', i, 'input'], `operator type "${o.type}" takes ${want} input(s)${def.inputs.names ? ` (${def.inputs.names.join(', ')})` : ''}, got ${n}`));
    }
    if (paramErrors.length > 0) {
      ports.set(o.id, null);
      return;
    }
    ports.set(o.id, def.ports(o.params ?? {}));
    for (const c of def.check(o.params ?? {})) errors.push(src.error('TOPOLOGY_BAD_PARAMS', ['operators', i, 'params', ...c.path.split('/')], c.message));
    for (const site of def.expressions(o.params ?? {})) checkExpr(site.expr, site.variables, ['operators', i, 'params', ...site.path.split('/')]);
  });

  spec.sinks.forEach((s, i) => {
    claim(s.id, 'sinks', i);
    const def = sinkDefinition(s.type);
    if (!def) {
      errors.push(src.error('TOPOLOGY_UNKNOWN_CONNECTOR', ['sinks', i, 'type'], `unknown sink type "${s.type}"; known: ${sinkTypes().join(', ')}`));
      return;
    }
    const paramErrors = validateAgainst(def.paramsSchema, s.params ?? {}, src, ['sinks', i, 'params'], 'TOPOLOGY_BAD_PARAMS');
    errors.push(...paramErrors);
    if (paramErrors.length === 0) for (const ref of def.schemaRefs?.(s.params ?? {}) ?? []) checkSchemaRef(ref, ['sinks', i, 'params', 'schema']);
  });

  // wiring: every input names an existing node and port
  const edges = new Map<string, string[]>();
  const checkInputs = (kind: 'operators' | 'sinks', list: { id: string; input: string | string[] }[]): void => {
    list.forEach((node, i) => {
      const inputs = inputsOf(node);
      inputs.forEach((ref, j) => {
        const path: (string | number)[] = Array.isArray(node.input) ? [kind, i, 'input', j] : [kind, i, 'input'];
        const { id, port } = parseRef(ref);
        if (!ports.has(id)) {
          errors.push(src.error('TOPOLOGY_UNKNOWN_INPUT', path, `input "${ref}" names no source or operator; known: ${[...ports.keys()].join(', ') || '(none)'}`));
          return;
        }
        const available = ports.get(id);
        if (available && !available.includes(port)) {
          errors.push(src.error('TOPOLOGY_UNKNOWN_INPUT', path, `"${id}" has no output "${port}"; its outputs: ${available.join(', ')}`));
          return;
        }
        if (kind === 'operators') edges.set(node.id, [...(edges.get(node.id) ?? []), id]);
      });
    });
  };
  checkInputs('operators', operators);
  checkInputs('sinks', spec.sinks);

  const cycle = findCycle(operators.map((o) => o.id), edges);
  if (cycle) {
    const first = operators.findIndex((o) => o.id === cycle[0]);
    errors.push(src.error('TOPOLOGY_CYCLE', ['operators', first, 'input'], `operators form a cycle: ${cycle.join(' -> ')}`));
  }
  return errors;
}

export function parseRef(ref: string): { id: string; port: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { id: ref, port: 'out' } : { id: ref.slice(0, dot), port: ref.slice(dot + 1) };
}

/** A cycle among operators as a list of ids (first repeated at the end), or null. */
function findCycle(ids: string[], edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    stack.push(id);
    for (const up of edges.get(id) ?? []) {
      if (!ids.includes(up)) continue;
      const s = state.get(up);
      if (s === 1) return [...stack.slice(stack.indexOf(up)), up];
      if (s === undefined) {
        const found = visit(up);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of ids) {
    if (state.has(id)) continue;
    const found = visit(id);
    if (found) return found.reverse();
  }
  return null;
}

/** Operators in an order where every operator comes after its inputs (validated topologies have no cycle). */
export function topologicalOrder(spec: TopologySpec): string[] {
  const operators = spec.operators ?? [];
  const ids = new Set(operators.map((o) => o.id));
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (id: string): void => {
    if (done.has(id)) return;
    done.add(id);
    const op = operators.find((o) => o.id === id)!;
    for (const ref of inputsOf(op)) {
      const up = parseRef(ref).id;
      if (ids.has(up)) visit(up);
    }
    order.push(id);
  };
  for (const o of operators) visit(o.id);
  return order;
}
