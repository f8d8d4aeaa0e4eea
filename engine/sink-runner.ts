import type { Observable, Subscription } from 'rxjs';
import type { Batch } from './batch.ts';
import type { SinkConnector, Position } from './connectors.ts';
import type { Counter } from './metrics.ts';

/**
 * Feeds one sink in order. Synchronous writes run inline; asynchronous ones
 * queue behind each other, and `pending` counts the batches not yet written,
 * which is what the driver's backpressure waits on.
 */
export class SinkRunner {
  private pending = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private failed = false;
  private waiters: { limit: number; resolve: () => void }[] = [];
  private readonly subscriptions = new Set<Subscription>();
  private completedStreams = 0;

  constructor(readonly id: string, private readonly sink: SinkConnector, private readonly records: Counter) {}

  /** Feeds the sink from a stream (one per task); unsubscribe to detach that stream only. */
  attach(stream: Observable<Batch>): Subscription {
    const subscription = stream.subscribe({
      next: (batch) => this.enqueue(batch),
      error: (err: unknown) => this.fail(err),
      complete: () => { this.completedStreams++; },
    });
    if (!subscription.closed) {
      this.subscriptions.add(subscription);
      subscription.add(() => this.subscriptions.delete(subscription));
    }
    return subscription;
  }

  /** Every attached stream completed (and at least one was attached). */
  get completed(): boolean { return this.completedStreams > 0 && this.subscriptions.size === 0; }

  get error(): unknown { return this.failed ? this.failure : undefined; }
  get hasFailed(): boolean { return this.failed; }
  get inFlight(): number { return this.pending; }

  /** Resolves once at most `limit` batches wait (0: everything written). */
  waitBelow(limit: number): Promise<void> {
    if (this.pending <= limit || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ limit, resolve }));
  }

  async flush(): Promise<Position> {
    await this.waitBelow(0);
    if (this.failed) throw this.failure;
    return this.sink.flush();
  }

  detach(): void {
    for (const s of [...this.subscriptions]) s.unsubscribe();
  }

  private enqueue(batch: Batch): void {
    if (batch.values.length === 0 || this.failed) return;
    this.records.inc(batch.values.length);
    if (this.pending === 0) {
      let result: void | Promise<void>;
      try {
        result = this.sink.write(batch);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (result === undefined) return;
      this.pending++;
      this.tail = result.then(() => this.settle(), (err: unknown) => this.fail(err));
      return;
    }
    this.pending++;
    // after a failure, queued batches are dropped, never written (the job is failing and will restore from a checkpoint)
    this.tail = this.tail.then(() => (this.failed ? undefined : this.sink.write(batch))).then(
      () => this.settle(),
      (err: unknown) => this.fail(err),
    );
  }

  private settle(): void {
    if (this.pending > 0) this.pending--;
    this.wake();
  }

  private fail(err: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = err;
    }
    if (this.pending > 0) this.pending--;
    this.wake();
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (this.pending <= w.limit || this.failed ? w.resolve() : still.push(w));
    this.waiters = still;
  }
}
