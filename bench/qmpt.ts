// The QMPT toolkit against its reference implementations, measured in the
// same run. Figures:
//
//   qmpt.gmm.fit_score.main   GMM fit + log density of every row on 100,000 × 16
//                             (a seeded mixture of 4 correlated Gaussians), K = 4,
//                             full covariances, tol 1e-3, max_iter 100, n_init 1,
//                             every chunk on the main thread        target <= 2
//   qmpt.gmm.fit_score.pool2  the same with the fit's chunks on the 2-worker
//                             QMPT pool (operators/qmpt/pool.ts)     target <= 2
//   qmpt.gmm.fit_score.overlap.{main,pool2}
//                             the same on overlapping components (means ~ N(0, 0.5²)
//                             instead of N(0, 3²)): EM needs many iterations
//
// Baseline: scikit-learn's GaussianMixture(n_components=4, covariance_type=
// 'full', random_state=0).fit(X) + score_samples(X) with the same settings,
// run by bench/baselines/qmpt_gmm.py (Debian's /usr/bin/python3) on the same
// rows, written to a temporary file as raw float64. Values are wall seconds,
// the median of BENCH_REPEATS repeats; the baseline's repeats are split
// before and after ours so that a drift of the machine's speed hits both.
// ratio = ours / scikit-learn. Without python3 or scikit-learn the baseline is
// reported missing (baselineValue null) and the reason is printed.
// numpy/OpenBLAS and sklearn's KMeans may use every core: their CPU seconds
// are printed beside the wall time.
//
// Streaming rows (qmpt.stream.score, .pool2, .refit5000: the qmpt-score
// operator against a raw loop of the same work) were added after the rows
// above, which are unchanged: see bench/qmpt-stream.ts for their definition.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createQmptPool } from '../operators/qmpt/pool.ts';
import { fitGmm, type ChunkExecutor, type GmmFit } from '../qmpt/metrics/density/index.ts';
import { Rng } from '../qmpt/random.ts';
import type { GmmConfig, Matrix } from '../qmpt/types.ts';
import { streamScoring } from './qmpt-stream.ts';
import type { BenchRow } from './result.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const ROWS = Number(process.env.BENCH_QMPT_ROWS ?? 100_000);
const COLS = 16;
const COMPONENTS = 4;
const GMM: GmmConfig = { components: { min: COMPONENTS, max: COMPONENTS }, covariance: 'full', reg_covar: 1e-6, min_component_share: 0, tol: 1e-3, max_iter: 100, n_init: 1 };
const BASELINE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'baselines', 'qmpt_gmm.py');
const PYTHON = '/usr/bin/python3';

export async function run(): Promise<BenchRow[]> {
  console.log(`${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${REPEATS} repeats`);
  return [...(await gmmFitScore('qmpt.gmm.fit_score', 3)), ...(await gmmFitScore('qmpt.gmm.fit_score.overlap', 0.5)), ...(await streamScoring())];
}

/** `meanSpread`: the standard deviation of the component means (3: separated, EM converges at once; 0.5: overlapping, EM works). */
async function gmmFitScore(name: string, meanSpread: number): Promise<BenchRow[]> {
  const X = mixtureData(ROWS, COLS, COMPONENTS, 2026, meanSpread);
  console.log(`${name}: component means ~ N(0, ${meanSpread}²)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qmpt-bench-'));
  const file = path.join(dir, 'x.f64');
  fs.writeFileSync(file, new Uint8Array(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  const pool = createQmptPool({ threads: 2 });
  try {
    const before = sklearn(file, Math.ceil(REPEATS / 2));
    // warm-up: the JIT on this thread, and both workers started and warmed
    const expected = await fitScore(X, undefined);
    await fitScore(X, pool.executor);
    const main: number[] = [];
    const pooled: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      // ABBA order, so that a drift in the machine's speed hits both alike
      const order: [number[], ChunkExecutor | undefined][] = [[main, undefined], [pooled, pool.executor]];
      for (const [times, executor] of r % 2 === 0 ? order : order.reverse()) {
        const t0 = performance.now();
        const result = await fitScore(X, executor);
        times.push((performance.now() - t0) / 1000);
        if (JSON.stringify(result.fit.model.toState()) !== JSON.stringify(expected.fit.model.toState())) throw new Error('qmpt bench: the pool fit differs from the main thread fit');
      }
    }
    const after = sklearn(file, Math.floor(REPEATS / 2));
    const ours = expected.fit.diagnostics;
    console.log(`ours: ${ours.iterations} EM iterations (converged ${ours.converged}), mean log-likelihood ${expected.meanLogDensity.toFixed(6)}; main ${spread(main)}, pool2 ${spread(pooled)}`);
    const baseline = 'error' in before ? before : 'error' in after ? after : { ...before, wall: [...before.wall, ...after.wall], cpu: [...before.cpu, ...after.cpu] };
    if ('error' in baseline) {
      console.log(`scikit-learn baseline missing: ${baseline.error}`);
      return [row(`${name}.main`, median(main), Number.NaN, baseline.error), row(`${name}.pool2`, median(pooled), Number.NaN, baseline.error)];
    }
    console.log(
      `scikit-learn ${baseline.sklearn}: ${baseline.iterations} EM iterations (converged ${baseline.converged}), mean log-likelihood ${baseline.meanLogLikelihood.toFixed(6)}; ${spread(baseline.wall)} wall, ${median(baseline.cpu).toFixed(3)} CPU s (median)`,
    );
    const sk = median(baseline.wall);
    return [row(`${name}.main`, median(main), sk), row(`${name}.pool2`, median(pooled), sk)];
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function fitScore(X: Matrix, executor: ChunkExecutor | undefined): Promise<{ fit: GmmFit; meanLogDensity: number }> {
  const fit = await fitGmm(X, GMM, executor === undefined ? { seed: 0 } : { seed: 0, executor });
  const ld = fit.model.logDensity(X);
  let s = 0;
  for (let i = 0; i < ld.length; i++) s += ld[i]!;
  return { fit, meanLogDensity: s / ld.length };
}

/** n rows of a seeded mixture of k Gaussians in d dimensions: means ~ N(0, meanSpread²), covariances A Aᵀ with A lower-triangular. */
function mixtureData(n: number, d: number, k: number, seed: number, meanSpread: number): Matrix {
  const rng = new Rng(seed);
  const means = Float64Array.from({ length: k * d }, () => meanSpread * rng.normal());
  const factors = Float64Array.from({ length: k * d * d }, (_, at) => {
    const i = Math.floor(at / d) % d;
    const j = at % d;
    return j > i ? 0 : j === i ? 0.8 + 0.2 * Math.floor(at / (d * d)) : 0.2 * rng.normal();
  });
  const data = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const c = rng.int(k);
    for (let j = 0; j < d; j++) z[j] = rng.normal();
    for (let i = 0; i < d; i++) {
      let v = means[c * d + i]!;
      for (let j = 0; j <= i; j++) v += factors[c * d * d + i * d + j]! * z[j]!;
      data[r * d + i] = v;
    }
  }
  return { rows: n, cols: d, data };
}

interface Baseline {
  wall: number[];
  cpu: number[];
  iterations: number;
  converged: boolean;
  meanLogLikelihood: number;
  sklearn: string;
}

/** The Python baseline's timings, or why there are none. */
function sklearn(file: string, repeats: number): Baseline | { error: string } {
  if (repeats === 0) return { wall: [], cpu: [], iterations: 0, converged: false, meanLogLikelihood: Number.NaN, sklearn: '' };
  const out = spawnSync(PYTHON, [BASELINE, file, String(ROWS), String(COLS), String(repeats)], { encoding: 'utf8', timeout: 600_000 });
  if (out.error) return { error: `${PYTHON} could not run: ${out.error.message}` };
  const last = out.stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(last) as Baseline | { error: string };
    if (out.status !== 0 && !('error' in parsed)) return { error: `${BASELINE} exited with status ${out.status}: ${out.stderr.trim()}` };
    return parsed;
  } catch {
    return { error: `${BASELINE} exited with status ${out.status} and no result: ${out.stderr.trim().split('\n').slice(-3).join(' ')}` };
  }
}

function row(name: string, value: number, baselineValue: number, missing?: string): BenchRow {
  const ratio = value / baselineValue;
  return {
    name,
    unit: 's',
    value: Math.round(value * 1000) / 1000,
    baseline: missing === undefined ? 'scikit-learn GaussianMixture' : `scikit-learn GaussianMixture (missing: ${missing})`,
    baselineValue: Math.round(baselineValue * 1000) / 1000,
    ratio: Math.round(ratio * 1000) / 1000,
    target: '<= 2',
    ...(Number.isNaN(ratio) ? {} : { pass: ratio <= 2 }),
  };
}

function spread(xs: number[]): string {
  return `${Math.min(...xs).toFixed(3)}/${median(xs).toFixed(3)}/${Math.max(...xs).toFixed(3)} s (min/median/max)`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
