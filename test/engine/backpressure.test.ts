/**
 * Backpressure: a slow sink slows the source, so memory stays bounded however
 * much the source could produce; plus the SinkRunner's ordering, waitBelow and
 * failure semantics in process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Batch } from '../../engine/batch.ts';
import { defineSink, type SinkConnector } from '../../engine/connectors.ts';
import { MetricsRegistry } from '../../engine/metrics.ts';
import { runTopology } from '../../engine/runtime.ts';
import { SinkRunner } from '../../engine/sink-runner.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { registerSink } from '../../sinks/registry.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../topologies/spec.ts';
import { BP_BATCH_SIZE, BP_MAX_IN_FLIGHT, type BpProgress } from './fixtures/bp-config.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemas = SchemaRegistry.load();

/** Resident set size of a process in bytes, or null once it is gone. */
function vmRss(pid: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** Resolves when `cond()` holds; rejects after `timeoutMs` (a condition wait, not a timing assertion). */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets every pending promise callback and timer-free continuation run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

const MB = 1024 * 1024;
/** Observed: ~125-135 MB for the whole tsx process; an unbounded source would pass it within a second. */
const RSS_BOUND = 400 * MB;
const SAMPLE_FOR_MS = 6_000;

test('bounded memory: a sleeping sink holds the RSS down and the source within maxInFlight batches of it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bp-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'bp-slow-sink.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr += s;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const progress: BpProgress[] = [];
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    const v = JSON.parse(line) as Partial<BpProgress> & { done?: boolean };
    if (typeof v.polled === 'number') progress.push(v as BpProgress);
  });
  const rss: number[] = [];
  try {
    await waitFor(() => exited || progress.some((p) => p.written > 0), 'the sink to write its first batch');
    assert.not.ok(exited, `the fixture exited early: ${stderr}`);
    // sample the child's RSS while it runs (the sampling period is a sampling rate, not a synchronisation)
    const until = Date.now() + SAMPLE_FOR_MS;
    while (Date.now() < until && !exited) {
      const r = vmRss(child.pid!);
      if (r !== null) rss.push(r);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.not.ok(exited, `the fixture exited while sampling: ${stderr}`);
  } finally {
    child.kill('SIGKILL');
    await exit;
    rl.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const last = progress[progress.length - 1]!;
  const maxRss = Math.max(...rss);
  const maxLag = Math.max(...progress.map((p) => p.polled - p.written));
  console.log(
    `  slow sink: ${progress.length} progress lines, last polled ${last.polled} written ${last.written}; ` +
      `max polled-written ${maxLag}; child VmRSS min ${(Math.min(...rss) / MB).toFixed(0)} MB, max ${(maxRss / MB).toFixed(0)} MB (${rss.length} samples); ` +
      `self-reported rss max ${(Math.max(...progress.map((p) => p.rss)) / MB).toFixed(0)} MB`,
  );
  assert.ok(rss.length >= 10, `only ${rss.length} RSS samples`);
  assert.ok(maxRss < RSS_BOUND, `max RSS ${(maxRss / MB).toFixed(0)} MB >= ${RSS_BOUND / MB} MB`);
  assert.ok(progress.every((p) => p.rss < RSS_BOUND), 'self-reported RSS below the bound');
  // the source was held back by the sink: what it handed out is at most the in-flight window ahead of what was written
  const window = (BP_MAX_IN_FLIGHT + 2) * BP_BATCH_SIZE;
  for (const p of progress) {
    assert.ok(p.polled >= p.written, `polled ${p.polled} < written ${p.written}`);
    assert.ok(p.polled - p.written <= window, `polled ${p.polled} - written ${p.written} > ${window}`);
  }
  assert.ok(last.written > 0);
});

// ---------------------------------------------------------------------------
// SinkRunner in process

function batchOf(values: number[]): Batch {
  return { values, timestamps: new Float64Array(values.length), keys: null, watermark: -Infinity };
}

interface Deferred { batch: Batch; resolve: () => void; reject: (err: unknown) => void }

/** A sink whose writes complete when the test says so. */
function manualSink(): { sink: SinkConnector; started: Deferred[]; written: Batch[] } {
  const started: Deferred[] = [];
  const written: Batch[] = [];
  const sink: SinkConnector = {
    async open() {},
    write(batch) {
      return new Promise<void>((resolve, reject) => {
        started.push({ batch, resolve: () => { written.push(batch); resolve(); }, reject });
      });
    },
    flush: () => written.length,
    close() {},
  };
  return { sink, started, written };
}

test('SinkRunner: async writes with random delays (and some sync ones) run one at a time, in order', async () => {
  const rng = new SplitMix32(99);
  const started: number[] = [];
  const finished: number[] = [];
  let active = 0;
  let maxActive = 0;
  const sink: SinkConnector = {
    async open() {},
    write(batch) {
      const id = batch.values[0] as number;
      started.push(id);
      if (rng.nextDouble() < 0.25) {
        finished.push(id); // a synchronous write
        return;
      }
      active++;
      maxActive = Math.max(maxActive, active);
      const delay = rng.nextInt(6);
      return new Promise<void>((resolve) => setTimeout(() => {
        active--;
        finished.push(id);
        resolve();
      }, delay));
    },
    flush: () => finished.length,
    close() {},
  };
  const counter = new MetricsRegistry().counter('sink_records', { sink: 't' }, '');
  const runner = new SinkRunner('t', sink, counter);
  const input = new Subject<Batch>();
  runner.attach(input);
  const n = 200;
  for (let i = 0; i < n; i++) {
    input.next(batchOf([i, i, i]));
    if (rng.nextDouble() < 0.2) await runner.waitBelow(rng.nextInt(3)); // sometimes let the queue drain a little
  }
  input.next(batchOf([])); // empty batches (watermarks only) are not written
  input.complete();
  assert.is(await runner.flush(), n);
  const order = Array.from({ length: n }, (_, i) => i);
  assert.equal(started, order, 'writes start in batch order');
  assert.equal(finished, order, 'writes finish in batch order');
  assert.is(maxActive, 1, 'one write at a time');
  assert.is(runner.inFlight, 0);
  assert.is(counter.value, 3 * n);
  assert.is(runner.completed, true);
  assert.is(runner.hasFailed, false);
});

test('SinkRunner: waitBelow resolves only once at most `limit` batches are unwritten', async () => {
  const { sink, started, written } = manualSink();
  const runner = new SinkRunner('t', sink, new MetricsRegistry().counter('c', {}, ''));
  const input = new Subject<Batch>();
  runner.attach(input);
  for (let i = 0; i < 6; i++) input.next(batchOf([i]));
  assert.is(runner.inFlight, 6);
  assert.is(started.length, 1, 'only the first write has started');

  const resolvedAt: Record<number, number | null> = { 0: null, 3: null, 5: null, 6: null };
  for (const limit of [0, 3, 5, 6]) void runner.waitBelow(limit).then(() => { resolvedAt[limit] = written.length; });
  await settle();
  assert.is(resolvedAt[6], 0, 'limit 6 with 6 pending resolves at once');
  assert.is(resolvedAt[5], null);
  for (let k = 1; k <= 6; k++) {
    started[k - 1]!.resolve();
    await settle();
    assert.is(runner.inFlight, 6 - k);
    for (const limit of [0, 3, 5]) {
      if (runner.inFlight <= limit) assert.ok(resolvedAt[limit] !== null, `waitBelow(${limit}) resolved with ${runner.inFlight} pending`);
      else assert.is(resolvedAt[limit], null, `waitBelow(${limit}) must wait while ${runner.inFlight} are pending`);
    }
    if (k < 6) assert.is(started.length, k + 1, 'the next write starts when the previous one is done');
  }
  assert.is(resolvedAt[5], 1);
  assert.is(resolvedAt[3], 3);
  assert.is(resolvedAt[0], 6);
  assert.equal(written.map((b) => b.values[0]), [0, 1, 2, 3, 4, 5]);
});

/** Five batches queued on a manual sink; the first write succeeds, the second fails. */
async function failSecondWrite(): Promise<{ runner: SinkRunner; started: Deferred[]; input: Subject<Batch>; boom: Error; woke: () => boolean }> {
  const { sink, started } = manualSink();
  const runner = new SinkRunner('t', sink, new MetricsRegistry().counter('c', {}, ''));
  const input = new Subject<Batch>();
  runner.attach(input);
  for (let i = 0; i < 5; i++) input.next(batchOf([i]));
  let woke = false;
  void runner.waitBelow(0).then(() => { woke = true; });
  started[0]!.resolve();
  await settle();
  const boom = new Error('disk on fire');
  started[1]!.reject(boom);
  await settle();
  return { runner, started, input, boom, woke: () => woke };
}

test('SinkRunner: a failing write surfaces as runner.error, wakes waiters, and flush rethrows it', async () => {
  const { runner, boom, woke } = await failSecondWrite();
  assert.is(runner.hasFailed, true);
  assert.is(runner.error, boom);
  assert.ok(woke(), 'waitBelow resolves when the sink fails');
  let flushErr: unknown;
  await runner.flush().catch((err: unknown) => { flushErr = err; });
  assert.is(flushErr, boom, 'flush rethrows the failure');
});

test('SinkRunner: after a failed write no further write starts and inFlight stays >= 0', async () => {
  const { runner, started, input } = await failSecondWrite();
  // batches 2..4 were queued behind the failed one: writing them would put records after a hole in the output
  for (let k = 2; k < 5 && started[k]; k++) {
    started[k]!.resolve();
    await settle();
  }
  input.next(batchOf([99]));
  await settle();
  assert.equal(started.map((d) => d.batch.values[0]), [0, 1], 'writes started');
  assert.ok(runner.inFlight >= 0, `inFlight is ${runner.inFlight}`);
});

// a sink that fails its third batch, registered once for the runTopology tests below
let failMode: 'reject' | 'throw' = 'reject';
let writesAfterFailure = 0;
let writesAfterClose = 0;
let failed = false;
let closed = false;
const failure = new Error('bp-failing: third batch refused');
registerSink(
  defineSink<Record<string, never>>({
    type: 'bp-failing',
    summary: 'fails its third write (test)',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
    create() {
      let calls = 0;
      return {
        async open() {},
        write() {
          if (failed) writesAfterFailure++;
          if (closed) writesAfterClose++;
          if (++calls !== 3) return new Promise<void>((resolve) => setImmediate(resolve));
          failed = true;
          if (failMode === 'throw') throw failure;
          return new Promise<void>((_resolve, reject) => setImmediate(() => reject(failure)));
        },
        flush: () => calls,
        close() {
          closed = true;
        },
      };
    },
  }),
);

async function runFailing(mode: 'reject' | 'throw'): Promise<unknown> {
  failMode = mode;
  failed = false;
  closed = false;
  writesAfterFailure = 0;
  writesAfterClose = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bp-fail-'));
  try {
    const spec: TopologySpec = {
      name: `bp-failing-${mode}`,
      runtime: { batchSize: 500, maxInFlightBatches: 2 },
      sources: [{ id: 'events', type: 'nexmark', params: { events: 20_000, seed: 3 } }],
      sinks: [{ id: 'out', type: 'bp-failing', input: 'events' }],
    };
    let caught: unknown;
    await runTopology(spec, { schemas, dataDir: dir }).catch((err: unknown) => { caught = err; });
    // let writes still queued in the runner (if any) run before the caller counts them
    for (let i = 0; i < 10; i++) await settle();
    return caught;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const mode of ['reject', 'throw'] as const) {
  test(`runTopology rejects with the sink's error when a write ${mode === 'reject' ? 'rejects' : 'throws'}`, async () => {
    assert.is(await runFailing(mode), failure);
    assert.is(closed, true, 'the sink was closed');
  });

  test(`no write reaches the sink after its write ${mode === 'reject' ? 'rejected' : 'threw'}, nor after close()`, async () => {
    await runFailing(mode);
    assert.is(writesAfterClose, 0, 'writes after close()');
    assert.is(writesAfterFailure, 0, 'writes after the failed one');
  });
}

test('runTopology lets the event loop run: an abort raised from a macrotask stops a fast source feeding a synchronous sink', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bp-abort-'));
  try {
    const events = 5_000_000;
    const stop = new AbortController();
    // e.g. the CLI's SIGINT handler: it can only run when the driver loop yields to the event loop
    setImmediate(() => stop.abort());
    const spec: TopologySpec = {
      name: 'bp-abort',
      sources: [{ id: 'events', type: 'nexmark', params: { events, seed: 1 } }],
      sinks: [{ id: 'out', type: 'blackhole', input: 'events' }],
    };
    const summary = await runTopology(spec, { schemas, dataDir: dir, signal: stop.signal });
    assert.is(summary.completed, false, `the abort was not seen before the source ended (${summary.sourceRecords} of ${events} records)`);
    assert.ok(summary.sourceRecords < events);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
