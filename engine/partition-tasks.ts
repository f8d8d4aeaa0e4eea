import type { Position, SourceChunk, TaskSnapshot, TaskStateBackend } from './connectors.ts';
import { MaasflowError } from './errors.ts';
import type { BuiltSource, Graph, Task } from './graph.ts';
import type { Counter } from './metrics.ts';
import { splitByPartition } from './partition-split.ts';
import { StateRegistry } from './state.ts';

/**
 * `perPartition` task mode, as Kafka Streams runs it: one task (operator
 * graph + state) per partition this process owns. A newly assigned partition
 * gets its task restored from the newest snapshot in the shared backend
 * before the source delivers its records (from the snapshot's offset); a
 * revoked partition's task is dropped. Checkpoints store every task's state
 * with its partition offset, so another process can take it over.
 * Records between a task's last snapshot and its revocation are processed
 * again by the new owner: sinks must be idempotent for exactly-once results.
 */
export class PartitionTasks {
  private readonly tasks = new Map<number, Task>();

  constructor(
    private readonly graph: Graph,
    private readonly source: BuiltSource,
    private readonly backend: TaskStateBackend,
    private readonly counters: { restored: Counter; released: Counter },
  ) {
    if (!source.connector.partitions || !source.connector.startPartition) {
      throw new MaasflowError('CONFIG', `source "${source.id}" cannot run in perPartition task mode: it does not expose partition assignment`);
    }
  }

  get size(): number { return this.tasks.size; }

  /** A rebalance started: the runtime checkpoints every task now, so a new owner restores the newest state. */
  rebalances(): number { return this.source.connector.partitions!().rebalances; }

  /** Drops tasks of revoked partitions; restores and starts tasks of newly assigned ones. */
  async sync(): Promise<void> {
    const { assigned, pending } = this.source.connector.partitions!();
    for (const [p, task] of this.tasks) {
      if (assigned.includes(p) && !pending.includes(p)) continue;
      await task.dispose();
      this.tasks.delete(p);
      this.counters.released.inc();
    }
    for (const p of pending) {
      const snapshot = await this.backend.load(p);
      if (snapshot && snapshot.fingerprint !== this.graph.fingerprint) {
        throw new MaasflowError('CHECKPOINT_MISMATCH', `the state snapshot of task ${p} was taken with a different topology (fingerprint ${snapshot.fingerprint}, now ${this.graph.fingerprint}); use a new group or state topic`);
      }
      const state = new StateRegistry();
      const task = await this.graph.createTask(String(p), state);
      if (snapshot) {
        state.restore(snapshot.state);
        for (const o of task.operators) o.op.onRestore?.();
        this.counters.restored.inc();
      }
      this.tasks.set(p, task);
      await this.source.connector.startPartition!(p, snapshot?.offset);
    }
  }

  /** Hands each partition's records to its task. */
  dispatch(chunk: SourceChunk): void {
    for (const [p, part] of splitByPartition(chunk)) {
      const task = this.tasks.get(p);
      if (!task) throw new MaasflowError('RUNTIME', `internal: source "${this.source.id}" delivered partition ${p}, which has no task`);
      task.stages.get(this.source.id)!.push(part);
    }
  }

  finish(): void {
    for (const task of this.tasks.values()) task.stages.get(this.source.id)!.finish();
  }

  /** Snapshots of every running task that has a position (a started partition). */
  snapshots(position: Position, epoch: number): TaskSnapshot[] {
    const offsets = (position as { offsets?: Record<string, number> } | null)?.offsets ?? {};
    const out: TaskSnapshot[] = [];
    for (const [p, task] of this.tasks) {
      const offset = offsets[p];
      if (offset === undefined) continue;
      out.push({ task: p, offset, epoch, fingerprint: this.graph.fingerprint, state: task.state.snapshot() });
    }
    return out;
  }

  totalStateEntries(): number {
    let n = 0;
    for (const t of this.tasks.values()) n += t.state.totalEntries();
    return n;
  }

  async disposeAll(): Promise<void> {
    for (const t of this.tasks.values()) await t.dispose();
    this.tasks.clear();
  }
}
