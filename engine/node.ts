import { merge, Subject, map, type Observable, type Subscription } from 'rxjs';
import { watermarkBatch, type Batch } from './batch.ts';
import type { BatchOperator } from './operator.ts';
import { PortCollector } from './output.ts';
import type { StateStore } from './state.ts';
import type { Counter } from './metrics.ts';
import { InFlight } from './in-flight.ts';

/** Watermarks of one node, kept in an engine store so they are checkpointed with the operator's state. */
export interface NodeWatermarks { inputs: number[]; combined: number; output: number }

export interface WiredNode {
  readonly ports: ReadonlyMap<string, Observable<Batch>>;
  readonly subscription: Subscription;
}

/**
 * Runs one operator inside the RxJS graph: its inputs are merged (tagged with
 * their index), each input batch is processed synchronously, and each output
 * port emits at most one batch per input batch, stamped with the node's
 * output watermark. A port with no records still emits a watermark-only batch
 * when the watermark advanced, so downstream windows keep firing.
 */
export function wireOperator(options: {
  op: BatchOperator;
  inputs: readonly Observable<Batch>[];
  ports: readonly string[];
  watermarks: StateStore<'wm', NodeWatermarks>;
  recordsIn: Counter;
  recordsOut: Counter;
  /** Shared count of unfinished batches (asynchronous operators); a private one when absent. */
  inFlight?: InFlight;
}): WiredNode {
  const { op, inputs, ports, watermarks, recordsIn, recordsOut } = options;
  const inFlight = options.inFlight ?? new InFlight();
  const subjects = new Map<string, Subject<Batch>>(ports.map((p) => [p, new Subject<Batch>()]));
  const collector = new PortCollector<unknown>(ports);
  const state = (): NodeWatermarks => {
    let wm = watermarks.get('wm');
    if (!wm) watermarks.set('wm', (wm = { inputs: inputs.map(() => -Infinity), combined: -Infinity, output: -Infinity }));
    return wm;
  };

  const flush = (wm: NodeWatermarks): void => {
    const outWm = op.outputWatermark ? op.outputWatermark(wm.combined) : wm.combined;
    const advanced = outWm > wm.output;
    if (advanced) wm.output = outWm;
    for (const [port, subject] of subjects) {
      const batch = collector.take(port, wm.output);
      if (batch) {
        recordsOut.inc(batch.values.length);
        subject.next(batch);
      } else if (advanced) subject.next(watermarkBatch(wm.output));
    }
  };

  // Batches that arrive while an asynchronous `process` runs wait here, in order (one batch at a time per node).
  const queue: (readonly [number, Batch])[] = [];
  let busy = false;
  let completing = false;
  let failed = false;

  // A throw inside a subscriber would be reported out of band by RxJS; turn it into an error downstream instead.
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    subscription.unsubscribe();
    for (let i = 0; i < queue.length; i++) inFlight.done();
    queue.length = 0;
    for (const s of subjects.values()) s.error(err);
  };

  const close = (): void => {
    try {
      op.onClose?.(collector);
      flush(state());
    } catch (err) {
      fail(err);
      return;
    }
    for (const s of subjects.values()) s.complete();
  };

  /** Runs queued batches until one goes asynchronous; completes the node once the queue is empty. */
  const drain = (): void => {
    while (!busy && !failed && queue.length > 0) {
      const [index, batch] = queue.shift()!;
      let pending: Promise<void> | undefined;
      try {
        pending = step(index, batch);
      } catch (err) {
        inFlight.done();
        fail(err);
        return;
      }
      if (!pending) {
        inFlight.done();
        continue;
      }
      busy = true;
      pending.then(
        () => {
          busy = false;
          inFlight.done();
          drain();
        },
        (err: unknown) => {
          busy = false;
          inFlight.done();
          fail(err);
        },
      );
    }
    if (!busy && !failed && completing && queue.length === 0) {
      completing = false;
      close();
    }
  };

  const tagged = merge(...inputs.map((input, index) => input.pipe(map((batch) => [index, batch] as const))));
  const subscription: Subscription = tagged.subscribe({
    next: (item) => {
      inFlight.add();
      queue.push(item);
      drain();
    },
    error: (err: unknown) => {
      for (const s of subjects.values()) s.error(err);
    },
    complete: () => {
      completing = true;
      drain();
    },
  });

  /** Processes one batch; returns a promise when the operator's `process` is asynchronous. */
  function step(index: number, batch: Batch): Promise<void> | undefined {
    const wm = state();
    recordsIn.inc(batch.values.length);
    const result = batch.values.length > 0 ? op.process(batch, index, collector, wm.combined) : undefined;
    if (result) return result.then(() => advance(index, batch, wm));
    advance(index, batch, wm);
    return undefined;
  }

  function advance(index: number, batch: Batch, wm: NodeWatermarks): void {
    if (batch.watermark > wm.inputs[index]!) {
      wm.inputs[index] = batch.watermark;
      const combined = Math.min(...wm.inputs);
      if (combined > wm.combined) {
        wm.combined = combined;
        op.onWatermark?.(combined, collector);
      }
    }
    flush(wm);
  }
  return { ports: new Map([...subjects].map(([p, s]) => [p, s.asObservable()])), subscription };
}
