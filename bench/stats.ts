// The statistics core (operators/stats) on the main thread against the same
// functions in the piscina worker pool, measured in the same run. Figures are
// runs per wall-clock second (parallel speed-up is the point, so CPU seconds
// would hide it), the median of BENCH_REPEATS interleaved repeats after a
// warm-up; every pool result is checked to equal the main thread's.
//
//   stats.welch.pool.transfer  Welch tests on two 1M-value Float64Arrays, one at a
//                              time, buffers moved to a worker (no copy)
//   stats.welch.pool.copy      the same, the caller keeping its arrays (one copy each)
//   stats.welch.pool.batch     8 such tests at once over 2 workers vs one after another
//   stats.bootstrap.pool2      10,000-resample bootstrap of the difference of means,
//                              20k values per arm, 2 workers     target >= 1.8
//
// A single Welch test is one pass over 16 MB: a worker saves nothing and the
// round trip costs something, so its ratio is expected below 1; the pool pays
// off for many tests at once or for heavy ones like the bootstrap.
import os from 'node:os';
import { bootstrapDiff, createStatsPool, welch, type WelchResult } from '../operators/stats/index.ts';
import { SplitMix32 } from '../streams/nexmark/prng.ts';
import type { BenchRow } from './result.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const WELCH_N = Number(process.env.BENCH_STATS_WELCH_N ?? 1_000_000);
const BATCH = 8;
const CALLS = 10;
const BOOT_N = Number(process.env.BENCH_STATS_BOOT_N ?? 20_000);
const RESAMPLES = Number(process.env.BENCH_STATS_RESAMPLES ?? 10_000);

export async function run(): Promise<BenchRow[]> {
  const rng = new SplitMix32(7);
  const sample = (n: number, shift: number): Float64Array => Float64Array.from({ length: n }, () => shift + rng.nextDouble() + rng.nextDouble());
  const wa = sample(WELCH_N, 0);
  const wb = sample(WELCH_N, 0.001);
  const ba = sample(BOOT_N, 0);
  const bb = sample(BOOT_N, 0.01);
  const bootOptions = { seed: 99, resamples: RESAMPLES, confidence: 0.95 };
  console.log(`${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${REPEATS} repeats`);

  const pool = createStatsPool({ threads: 2 });
  try {
    const expectedWelch = welch(wa, wb);
    const same = (r: WelchResult): void => assertSame(r, expectedWelch, 'welch');
    // warm-up: start both workers and let both threads' JIT see the code
    await Promise.all([pool.welch(wa, wb), pool.welch(wa, wb)]);
    const expectedBoot = bootstrapDiff(ba, bb, { ...bootOptions, resamples: 500 });
    assertSame(await pool.bootstrapDiff(ba, bb, { ...bootOptions, resamples: 500 }), expectedBoot, 'bootstrap warm-up');

    const s = { welchMain: [] as number[], welchTransfer: [] as number[], welchCopy: [] as number[], batchMain: [] as number[], batchPool: [] as number[], bootMain: [] as number[], bootPool: [] as number[] };
    // the bootstrap first: the Welch copies below leave hundreds of MB for the GC
    const bootMain = bootstrapDiff(ba, bb, bootOptions);
    const poolCores: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      // ABBA order, so that a drift in the machine's speed hits both alike
      const main = async (): Promise<void> => {
        s.bootMain.push(await timed(async () => assertSame(bootstrapDiff(ba, bb, bootOptions), bootMain, 'bootstrap (main)')));
      };
      const inPool = async (): Promise<void> => {
        s.bootPool.push(await timed(async () => assertSame(await pool.bootstrapDiff(ba, bb, bootOptions), bootMain, 'bootstrap')));
        poolCores.push(coresUsed[coresUsed.length - 1]!);
      };
      if (r % 2 === 0) {
        await main();
        await inPool();
      } else {
        await inPool();
        await main();
      }
    }
    for (let r = 0; r < REPEATS; r++) {
      // CALLS tests one after another, each on its own fresh copy of the data (as a stream hands over new
      // arrays), the same copies for the main thread and the pool; then BATCH tests at once
      const copies = Array.from({ length: Math.max(CALLS, BATCH) }, () => [wa.slice(), wb.slice()] as const);
      s.welchMain.push(await timed(async () => {
        for (const [x, y] of copies.slice(0, CALLS)) same(welch(x, y));
      }));
      s.welchCopy.push(await timed(async () => {
        for (const [x, y] of copies.slice(0, CALLS)) same(await pool.welch(x, y));
      }));
      s.batchMain.push(await timed(async () => {
        for (const [x, y] of copies.slice(0, BATCH)) same(welch(x, y));
      }));
      s.welchTransfer.push(await timed(async () => {
        for (const [x, y] of copies.slice(0, CALLS)) same(await pool.welch(x, y, { transfer: true }));
      }));
      const again = Array.from({ length: BATCH }, () => [wa.slice(), wb.slice()] as const);
      s.batchPool.push(await timed(async () => {
        for (const res of await Promise.all(again.map(([x, y]) => pool.welch(x, y, { transfer: true })))) same(res);
      }));

    }
    const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(3)}/${median(xs).toFixed(3)}/${Math.max(...xs).toFixed(3)} s`;
    const paired = median(s.bootMain.map((m, i) => m / s.bootPool[i]!));
    console.log(`bootstrap min/median/max: main ${spread(s.bootMain)}, pool ${spread(s.bootPool)}; median of the paired speed-ups ${paired.toFixed(2)}; the pool kept ${median(poolCores).toFixed(2)} cores busy (median)`);
    console.log(`welch p = ${expectedWelch.pValue.toPrecision(4)}; bootstrap 95% CI [${bootMain.ci.map((x) => x.toPrecision(5)).join(', ')}], bit-identical on the pool`);
    const rate = (xs: number[]): number => 1 / median(xs);
    const row = (name: string, unit: string, value: number, baseline: string, baselineValue: number, target?: number): BenchRow => ({
      name,
      unit,
      value: round(value),
      baseline,
      baselineValue: round(baselineValue),
      ratio: Math.round((value / baselineValue) * 1000) / 1000,
      ...(target === undefined ? {} : { target: `>= ${target}`, pass: value / baselineValue >= target }),
    });
    const welchMain = CALLS * rate(s.welchMain);
    return [
      row('stats.welch.pool.transfer', 'tests/s', CALLS * rate(s.welchTransfer), 'welch() on the main thread, same fresh arrays', welchMain),
      row('stats.welch.pool.copy', 'tests/s', CALLS * rate(s.welchCopy), 'welch() on the main thread, same fresh arrays', welchMain),
      row('stats.welch.pool.batch', 'tests/s', BATCH * rate(s.batchPool), `${BATCH} welch() calls one after another on the main thread`, BATCH * rate(s.batchMain)),
      row('stats.bootstrap.pool2', 'bootstraps/s', rate(s.bootPool), 'bootstrapDiff() on the main thread, same seed and result', rate(s.bootMain), 1.8),
    ];
  } finally {
    await pool.close();
  }
}

/** CPU seconds of the whole process (workers included) over wall seconds, per timed sample. */
const coresUsed: number[] = [];

async function timed(body: () => Promise<void>): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  coresUsed.push((cpu.user + cpu.system) / 1e6 / wall);
  return wall;
}

function assertSame(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  if (a !== JSON.stringify(expected)) throw new Error(`${what}: the pool's result differs from the main thread's: ${a}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function round(x: number): number {
  return x >= 100 ? Math.round(x) : Math.round(x * 1000) / 1000;
}
