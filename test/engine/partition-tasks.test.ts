import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PartitionAssignment, Position, SourceChunk, SourceConnector, TaskSnapshot, TaskStateBackend } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { buildGraph, type Graph } from '../../engine/graph.ts';
import { MetricsRegistry } from '../../engine/metrics.ts';
import { splitByPartition } from '../../engine/partition-split.ts';
import { PartitionTasks } from '../../engine/partition-tasks.ts';
import { StateRegistry } from '../../engine/state.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { LogProvider } from '../../streams/log-provider.ts';
import type { TopologySpec } from '../../topologies/spec.ts';

function chunk(rows: [partition: number, offset: number, key: string][], lagging: number[] | null = null): SourceChunk {
  return {
    values: rows.map(([, , key]) => ({ user: key })),
    timestamps: Float64Array.from(rows.map(([, o]) => 1000 + o)),
    keys: rows.map(([, , k]) => k),
    partitions: Int32Array.from(rows.map(([p]) => p)),
    offsets: Float64Array.from(rows.map(([, o]) => o)),
    topic: 't',
    lagging,
    end: false,
  };
}

test('splitByPartition keeps record order per partition and lets only a task\'s own partition hold its watermark', () => {
  const parts = splitByPartition(chunk([[0, 0, 'a'], [0, 1, 'b'], [1, 0, 'c'], [0, 2, 'd'], [1, 1, 'e']], [1, 2]));
  assert.equal([...parts.keys()], [0, 1]);
  assert.equal(Array.from(parts.get(0)!.offsets!), [0, 1, 2]);
  assert.equal(parts.get(0)!.keys, ['a', 'b', 'd']);
  assert.equal(Array.from(parts.get(1)!.timestamps), [1000, 1001]);
  assert.is(parts.get(0)!.lagging, null);
  assert.equal(parts.get(1)!.lagging, [1]);
  const single = splitByPartition(chunk([[3, 5, 'x'], [3, 6, 'y']]));
  assert.equal(single.get(3)!.keys, ['x', 'y'], 'one partition: the chunk itself (not copied)');
  assert.is(splitByPartition(chunk([])).size, 0);
});

/** A group-managed source whose assignment the test sets by hand. */
class FakeGroupSource implements SourceConnector {
  assigned: number[] = [];
  pending: number[] = [];
  started: [number, number | undefined][] = [];
  next = new Map<number, number>();
  open(): Promise<void> { return Promise.resolve(); }
  poll(): SourceChunk { return chunk([]); }
  position(): Position {
    return { offsets: Object.fromEntries([...this.next].filter(([p]) => this.assigned.includes(p))) };
  }
  commit(): void {}
  close(): void {}
  partitions(): PartitionAssignment { return { assigned: this.assigned, pending: this.pending, rebalances: 0 }; }
  startPartition(p: number, offset: number | undefined): Promise<void> {
    this.started.push([p, offset]);
    this.pending = this.pending.filter((x) => x !== p);
    this.next.set(p, offset ?? 0);
    return Promise.resolve();
  }
  assign(partitions: number[]): void {
    const fresh = partitions.filter((p) => !this.assigned.includes(p));
    this.assigned = partitions;
    this.pending = fresh;
    for (const p of fresh) this.next.delete(p);
  }
}

class MemoryBackend implements TaskStateBackend {
  readonly stored = new Map<number, TaskSnapshot>();
  open(): Promise<void> { return Promise.resolve(); }
  load(task: number): Promise<TaskSnapshot | undefined> { return Promise.resolve(this.stored.get(task)); }
  save(snapshots: readonly TaskSnapshot[]): Promise<void> {
    for (const s of snapshots) this.stored.set(s.task, s);
    return Promise.resolve();
  }
  close(): Promise<void> { return Promise.resolve(); }
}

const spec: TopologySpec = {
  name: 'tasks',
  runtime: { tasks: 'perPartition' },
  sources: [{ id: 'in', type: 'kafka', format: 'object' as never, params: { brokers: 'localhost:1', topic: 't' } }],
  operators: [{ id: 'totals', type: 'aggregate', input: 'in', params: { aggregations: { n: { fn: 'count' } } } }],
  sinks: [{ id: 'out', type: 'blackhole', input: 'totals' }],
};

async function setup(): Promise<{ graph: Graph; source: FakeGroupSource; backend: MemoryBackend; tasks: PartitionTasks; metrics: MetricsRegistry }> {
  const metrics = new MetricsRegistry();
  const graph = await buildGraph(spec, { schemas: SchemaRegistry.load(), logs: new LogProvider('/tmp/maasflow-unused-log'), metrics, dataDir: '/tmp' });
  const source = new FakeGroupSource();
  const backend = new MemoryBackend();
  const built = { ...graph.sources[0]!, connector: source };
  const tasks = new PartitionTasks(graph, built, backend, { restored: metrics.counter('tasks_restored', {}, ''), released: metrics.counter('tasks_released', {}, '') });
  return { graph, source, backend, tasks, metrics };
}

function counts(s: TaskSnapshot): Record<string, number> {
  const state = new StateRegistry();
  state.restore(s.state);
  // an aggregate's accumulator is an array, one slot per aggregation (here: the count)
  return Object.fromEntries([...state.store<string, number[]>('totals', 'table')].map(([k, v]) => [k, v[0]!]));
}

test('tasks: assigned partitions get their own state; a revoked task is dropped; re-assigned, it restores from its snapshot and offset', async () => {
  const { source, backend, tasks, metrics } = await setup();
  source.assign([0, 1]);
  await tasks.sync();
  assert.equal(source.started, [[0, undefined], [1, undefined]], 'no snapshot yet: start where the group committed');
  assert.is(tasks.size, 2);
  tasks.dispatch(chunk([[0, 0, 'a'], [0, 1, 'a'], [1, 0, 'a'], [1, 1, 'b']]));
  source.next.set(0, 2);
  source.next.set(1, 2);
  await backend.save(tasks.snapshots(source.position(), 1));
  assert.equal([...backend.stored.keys()], [0, 1]);
  assert.is(backend.stored.get(0)!.offset, 2);
  const first = counts(backend.stored.get(0)!);
  const second = counts(backend.stored.get(1)!);
  assert.equal(Object.keys(first), ['a'], 'task 0 only saw partition 0');
  assert.equal(Object.keys(second).sort(), ['a', 'b'], 'task 1 has its own "a"');

  // progress after the snapshot on partition 1, then partition 1 moves away
  tasks.dispatch(chunk([[1, 2, 'b']]));
  source.assign([0]);
  await tasks.sync();
  assert.is(tasks.size, 1);
  assert.is(metrics.total('tasks_released'), 1);

  // it comes back: restored from the snapshot (offset 2), so the record at offset 2 is processed once, again
  source.assign([0, 1]);
  await tasks.sync();
  assert.equal(source.started.at(-1), [1, 2]);
  assert.is(metrics.total('tasks_restored'), 1);
  tasks.dispatch(chunk([[1, 2, 'b']]));
  source.next.set(1, 3);
  const snaps = tasks.snapshots(source.position(), 2);
  assert.equal(counts(snaps.find((s) => s.task === 1)!), { a: 1, b: 2 });
});

test('tasks: a snapshot of another topology is refused; records of a partition without a task are an internal error', async () => {
  const { source, backend, tasks } = await setup();
  backend.stored.set(0, { task: 0, offset: 5, epoch: 1, fingerprint: 'other', state: new StateRegistry().snapshot() });
  source.assign([0]);
  try {
    await tasks.sync();
    assert.unreachable();
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'CHECKPOINT_MISMATCH');
    assert.match((err as Error).message, 'task 0');
  }
  assert.throws(() => tasks.dispatch(chunk([[7, 0, 'x']])), /partition 7, which has no task/);
});

test.run();
