import { MaasflowError } from '../../engine/errors.ts';

export interface QueueTask<T> {
  /** Runs the work on one free slot (a context sequence); `signal` fires on timeout or cancellation. */
  run(slot: number, signal: AbortSignal): Promise<T>;
  /** Higher first; equal priorities in arrival order. Default 0. */
  priority?: number;
  /** From submission to completion; past it the task is rejected with INFERENCE_TIMEOUT (and aborted if running). */
  timeoutMs?: number;
  /** The caller's cancellation. */
  signal?: AbortSignal;
}

interface Pending<T> {
  task: QueueTask<T>;
  seq: number;
  resolve(v: T): void;
  reject(e: Error): void;
  controller: AbortController;
  timer: NodeJS.Timeout | undefined;
  /** Removes the listener on the caller's signal (a long-lived signal must not collect one per call). */
  unlisten: (() => void) | undefined;
  settled: boolean;
  enqueuedAt: number;
}

export interface QueueStats {
  /** Waiting for a slot. */
  queued: number;
  /** On a slot now. */
  running: number;
  completed: number;
  failed: number;
  timedOut: number;
  cancelled: number;
}

/**
 * Serialises the work of one model on one device: at most `slots` tasks run
 * at once, each on its own slot (a context sequence: two generations on one
 * sequence give silently wrong output), the rest wait by priority, then
 * arrival. Tasks time out and can be cancelled, queued or running; `maxQueued`
 * bounds the waiting line (a full queue refuses with INFERENCE_BUSY), and
 * `whenBelow` lets a producer wait for room instead (backpressure).
 */
export class InferenceQueue {
  private readonly waiting: Pending<unknown>[] = [];
  private readonly free: number[];
  private readonly roomWaiters: { limit: number; resolve(): void }[] = [];
  private seq = 0;
  private readonly counts = { completed: 0, failed: 0, timedOut: 0, cancelled: 0 };

  constructor(
    readonly name: string,
    readonly slots: number,
    private readonly o: { maxQueued?: number; onWait?: (ms: number) => void } = {},
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new MaasflowError('CONFIG', `inference queue ${name}: slots must be a positive integer, got ${slots}`);
    this.free = Array.from({ length: slots }, (_, i) => i).reverse();
  }

  get stats(): QueueStats {
    return { queued: this.waiting.length, running: this.slots - this.free.length, ...this.counts };
  }

  /** Queued plus running. */
  get depth(): number {
    return this.waiting.length + this.slots - this.free.length;
  }

  submit<T>(task: QueueTask<T>): Promise<T> {
    if (task.signal?.aborted) return Promise.reject(cancelled(this.name, task.signal));
    if (this.o.maxQueued !== undefined && this.waiting.length >= this.o.maxQueued) {
      return Promise.reject(new MaasflowError('INFERENCE_BUSY', `model ${this.name}: ${this.waiting.length} requests already queued (limit ${this.o.maxQueued})`, { retriable: true }));
    }
    return new Promise<T>((resolve, reject) => {
      const p: Pending<T> = { task, seq: this.seq++, resolve, reject, controller: new AbortController(), timer: undefined, unlisten: undefined, settled: false, enqueuedAt: performance.now() };
      if (task.timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.counts.timedOut++;
          this.settle(p, new MaasflowError('INFERENCE_TIMEOUT', `model ${this.name}: request timed out after ${task.timeoutMs} ms`, { retriable: true }));
        }, task.timeoutMs);
      }
      if (task.signal) {
        const signal = task.signal;
        const onAbort = (): void => {
          this.counts.cancelled++;
          this.settle(p, cancelled(this.name, signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.insert(p as Pending<unknown>);
      this.pump();
    });
  }

  /** Resolves once depth < limit (for a producer that must not flood the queue). */
  whenBelow(limit: number): Promise<void> {
    if (this.depth < limit) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ limit, resolve }));
  }

  private insert(p: Pending<unknown>): void {
    const prio = p.task.priority ?? 0;
    let i = this.waiting.length;
    while (i > 0 && (this.waiting[i - 1]!.task.priority ?? 0) < prio) i--;
    this.waiting.splice(i, 0, p);
  }

  private pump(): void {
    while (this.free.length > 0 && this.waiting.length > 0) {
      const p = this.waiting.shift()!;
      if (p.settled) continue;
      const slot = this.free.pop()!;
      this.o.onWait?.(performance.now() - p.enqueuedAt);
      void this.runOn(slot, p);
    }
    for (let i = this.roomWaiters.length - 1; i >= 0; i--) {
      if (this.depth < this.roomWaiters[i]!.limit) this.roomWaiters.splice(i, 1)[0]!.resolve();
    }
  }

  private async runOn(slot: number, p: Pending<unknown>): Promise<void> {
    try {
      const value = await p.task.run(slot, p.controller.signal);
      if (!p.settled) this.counts.completed++;
      this.settle(p, undefined, value);
    } catch (err) {
      if (!p.settled) this.counts.failed++;
      this.settle(p, err instanceof Error ? err : new Error(String(err)));
    } finally {
      // the slot is free only once the work on it has really stopped (an aborted generation included)
      this.free.push(slot);
      this.pump();
    }
  }

  private settle(p: Pending<unknown>, err: Error | undefined, value?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    if (p.timer) clearTimeout(p.timer);
    p.unlisten?.();
    if (err) {
      p.controller.abort(err);
      const at = this.waiting.indexOf(p);
      if (at >= 0) this.waiting.splice(at, 1);
      p.reject(err);
      this.pump();
    } else p.resolve(value);
  }
}

function cancelled(name: string, signal: AbortSignal): MaasflowError {
  const why = signal.reason instanceof Error ? signal.reason.message : signal.reason === undefined ? 'cancelled' : String(signal.reason);
  return new MaasflowError('INFERENCE_CANCELLED', `model ${name}: request cancelled (${why})`);
}
