/**
 * The worker pool runs the same functions: results are identical (===, via
 * deep equality of every field) to the main thread's, the bootstrap is
 * bit-identical for any number of workers, and errors keep their code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { bootstrapDiff, createStatsPool, cupedArms, mannWhitney, msprt, welch, type StatsPool } from '../../../operators/stats/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { dataset, normals } from './fixtures/reference.ts';

const rng = new SplitMix32(77);
const a = normals(rng, 20_000, 10, 2);
const b = normals(rng, 15_000, 10.05, 3);
// started once for the whole file: a worker's start (tsx included) takes ~0.5 s
const pools = new Map<number, StatsPool>([1, 2, 3].map((threads) => [threads, createStatsPool({ threads })]));
function pool(threads: number): StatsPool {
  return pools.get(threads)!;
}

async function rejects(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await run();
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`resolved; expected ${message}`);
}

test.after(async () => {
  await Promise.all([...pools.values()].map((p) => p.close()));
});

test('welch, mannWhitney, msprt and cupedArms in a worker equal the main thread exactly', async () => {
  const p = pool(2);
  assert.is(p.threads, 2);
  assert.equal(await p.welch(a, b, { alternative: 'greater', confidence: 0.9 }), welch(a, b, { alternative: 'greater', confidence: 0.9 }));
  assert.equal(await p.mannWhitney(a, b), mannWhitney(a, b));
  assert.equal(await p.msprt(a, b, { tau2: 0.01, every: 100 }), msprt(a, b, { tau2: 0.01, every: 100 }));
  const d = dataset('cuped_strong');
  assert.equal(await p.cupedArms({ y: d.a, x: d.xa! }, { y: d.b, x: d.xb! }), cupedArms({ y: d.a, x: d.xa! }, { y: d.b, x: d.xb! }));
  // plain arrays are copied into Float64Arrays; the caller's arrays stay intact
  const before = Array.from(a);
  assert.equal(await p.welch(Array.from(a), b), welch(a, b));
  assert.equal(Array.from(a), before);
});

test('transfer: true moves the buffers (no copy) and gives the same result; shared memory is used as is', async () => {
  const p = pool(1);
  const expected = welch(a, b);
  const ta = a.slice();
  const tb = b.slice();
  assert.equal(await p.welch(ta, tb, { transfer: true }), expected);
  assert.is(ta.length, 0, 'detached after the transfer');
  // two views on one buffer are transferred once
  const both = new Float64Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  assert.equal(await p.welch(both.subarray(0, a.length), both.subarray(a.length), { transfer: true }), expected);
  const shared = new Float64Array(new SharedArrayBuffer(a.byteLength));
  shared.set(a);
  assert.equal(await p.welch(shared, b), expected);
  assert.is(shared.length, a.length);
});

test('bootstrapDiff is bit-identical on the main thread and on 1, 2 or 3 workers', async () => {
  const small = a.subarray(0, 2_000);
  const other = b.subarray(0, 1_500);
  const options = { seed: 4242, resamples: 3_000, confidence: 0.95, method: 'bca' as const };
  const main = bootstrapDiff(small, other, options);
  for (const threads of [1, 2, 3]) assert.equal(await pool(threads).bootstrapDiff(small, other, options), main, `${threads} workers`);
  // resamples not a multiple of the chunk size, more tasks than chunks
  const odd = { seed: 1, resamples: 777, chunkSize: 100 };
  assert.equal(await pool(2).bootstrapDiff(Array.from(small), other, odd), bootstrapDiff(small, other, odd));
});

test('errors from a worker are MaasflowErrors with their code and argument', async () => {
  const p = pool(2);
  try {
    await p.welch(a, Float64Array.from([1, Number.NaN, 3]));
    assert.unreachable('accepted NaN');
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'CONFIG');
    assert.is((err as MaasflowError).message, 'welch: b[1] is NaN; every value must be a finite number');
    assert.is((err as MaasflowError).location?.path, 'b[1]');
  }
  await rejects(() => p.msprt(a, b, { tau2: -1 }), /msprt: tau2 = -1 must be a finite number > 0/);
  await rejects(() => p.bootstrapDiff(a, [], { seed: 1 }), /bootstrapDiff: b is empty/);
  await rejects(() => p.welch(a, null as unknown as Float64Array), /welch: b must be an array of numbers/);
  assert.throws(() => createStatsPool({ threads: 0 }), /threads = 0 must be an integer/);
  const closed = createStatsPool({ threads: 1 });
  await closed.close();
  await rejects(() => closed.welch(a, b), /after close/);
  await rejects(() => closed.bootstrapDiff(a, b, { seed: 1, resamples: 10 }), /after close/);
});

test.run();
