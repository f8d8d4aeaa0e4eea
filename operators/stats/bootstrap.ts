/**
 * Seeded bootstrap of the difference of means, mean(a) - mean(b).
 *
 * Resample r belongs to chunk k = floor(r / chunkSize); chunk k draws from
 * its own SplitMix32 stream seeded with hashSeed(seed, k) (the repo's PRNG,
 * streams/nexmark/prng.ts): for each of its resamples, n_a indices into a,
 * then n_b into b. So every resample is a pure function of (seed, chunkSize,
 * r) and the distribution is bit-identical whether the chunks run here or
 * spread over any number of workers (operators/stats/pool.ts).
 *
 * Intervals: percentile (numpy's linear interpolation) and BCa (Efron's
 * bias-corrected and accelerated interval, as scipy.stats.bootstrap computes
 * it; the two-sample jackknife acceleration has the closed form
 * Σ(a_i - ā)³/n_a³ + Σ(b̄ - b_j)³/n_b³ over 6 (Σ(a_i - ā)²/n_a² + Σ(b_j - b̄)²/n_b²)^1.5).
 */
import { hashSeed } from '../../streams/nexmark/prng.ts';
import { badArgument, checkInteger, checkProbability, checkSample, type Sample } from './check.ts';
import { normalCdf, normalPpf } from './distributions.ts';

export type BootstrapMethod = 'percentile' | 'bca';

export interface BootstrapOptions {
  /** Number of resamples; default 10,000. */
  resamples?: number;
  /** PRNG seed, an integer in 0..2^32-1. */
  seed: number;
  /** Default 0.95. */
  confidence?: number;
  /** Which interval `ci` is; both are always returned. Default 'percentile'. */
  method?: BootstrapMethod;
  /** Resamples per chunk (the unit of seeding and of work for the pool); default 256. Changing it changes the draws. */
  chunkSize?: number;
}

export interface BootstrapResult {
  /** mean(a) - mean(b) on the data. */
  estimate: number;
  /** The interval of `method`. */
  ci: [number, number];
  percentile: [number, number];
  /** [NaN, NaN] when the bootstrap distribution is degenerate (as scipy). */
  bca: [number, number];
  method: BootstrapMethod;
  confidence: number;
  /** Standard deviation (ddof 1) of the bootstrap distribution. */
  se: number;
  /** BCa acceleration. */
  acceleration: number;
  /** BCa bias correction z0. */
  biasCorrection: number;
  resamples: number;
  seed: number;
  chunkSize: number;
}

/** Validated options with defaults filled in. */
export interface BootstrapPlan {
  resamples: number;
  seed: number;
  confidence: number;
  method: BootstrapMethod;
  chunkSize: number;
  chunks: number;
}

export const DEFAULT_CHUNK_SIZE = 256;

export function planBootstrap(fn: string, a: Sample, b: Sample, options: BootstrapOptions): BootstrapPlan {
  if (options === null || typeof options !== 'object') throw badArgument(fn, 'options', 'must be an object with at least a seed');
  checkSample(fn, 'a', a, 2);
  checkSample(fn, 'b', b, 2);
  const resamples = checkInteger(fn, 'resamples', options.resamples ?? 10_000, 2, 100_000_000);
  const seed = checkInteger(fn, 'seed', options.seed, 0, 0xffffffff);
  const confidence = checkProbability(fn, 'confidence', options.confidence ?? 0.95);
  const chunkSize = checkInteger(fn, 'chunkSize', options.chunkSize ?? DEFAULT_CHUNK_SIZE, 1, 1_000_000);
  const method = options.method ?? 'percentile';
  if (method !== 'percentile' && method !== 'bca') throw badArgument(fn, 'method', `= ${JSON.stringify(method)} must be "percentile" or "bca"`);
  return { resamples, seed, confidence, method, chunkSize, chunks: Math.ceil(resamples / chunkSize) };
}

export interface BootstrapChunkTask {
  a: Float64Array;
  b: Float64Array;
  seed: number;
  resamples: number;
  chunkSize: number;
  /** First chunk (inclusive). */
  from: number;
  /** Last chunk (exclusive). */
  to: number;
}

/**
 * The bootstrap differences of chunks [from, to): resamples from·chunkSize up
 * to min(to·chunkSize, resamples). Pure; runs in workers. The draws are
 * SplitMix32(hashSeed(seed, k)).nextInt(n), written out inline (the method
 * calls cost 2-3x here); the tests check them against the class bit for bit.
 */
export function bootstrapChunks(task: BootstrapChunkTask): Float64Array {
  const { a, b, seed, resamples, chunkSize, from, to } = task;
  const first = from * chunkSize;
  const end = Math.min(to * chunkSize, resamples);
  const out = new Float64Array(Math.max(0, end - first));
  const na = a.length;
  const nb = b.length;
  // (u / 2^32) · n in one rounding, as nextInt: scaling by a power of two is exact
  const scaleA = na * INV_TWO_POW_32;
  const scaleB = nb * INV_TWO_POW_32;
  let r = first;
  for (let k = from; k < to && r < end; k++) {
    let s = hashSeed(seed, k) | 0;
    const chunkEnd = Math.min((k + 1) * chunkSize, end);
    for (; r < chunkEnd; r++) {
      let sa = 0;
      for (let i = 0; i < na; i++) {
        let z = (s = (s + 0x9e3779b9) | 0);
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        const j = Math.floor(((z ^ (z >>> 16)) >>> 0) * scaleA);
        sa += a[j < na ? j : na - 1]!;
      }
      let sb = 0;
      for (let i = 0; i < nb; i++) {
        let z = (s = (s + 0x9e3779b9) | 0);
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        const j = Math.floor(((z ^ (z >>> 16)) >>> 0) * scaleB);
        sb += b[j < nb ? j : nb - 1]!;
      }
      out[r - first] = sa / na - sb / nb;
    }
  }
  return out;
}

const INV_TWO_POW_32 = 1 / 4294967296;

/** Main thread: all chunks here, then the intervals. */
export function bootstrapDiff(a: Sample, b: Sample, options: BootstrapOptions): BootstrapResult {
  const plan = planBootstrap('bootstrapDiff', a, b, options);
  const fa = Float64Array.from(a);
  const fb = Float64Array.from(b);
  const diffs = bootstrapChunks({ a: fa, b: fb, seed: plan.seed, resamples: plan.resamples, chunkSize: plan.chunkSize, from: 0, to: plan.chunks });
  return summarizeBootstrap(fa, fb, diffs, plan);
}

/** Intervals from the bootstrap differences (in resample order); shared by the main thread and the pool. */
export function summarizeBootstrap(a: Float64Array, b: Float64Array, diffs: Float64Array, plan: BootstrapPlan): BootstrapResult {
  const na = a.length;
  const nb = b.length;
  const ma = mean(a);
  const mb = mean(b);
  const estimate = ma - mb;
  const sorted = Float64Array.from(diffs).sort();
  const B = sorted.length;
  const alpha = (1 - plan.confidence) / 2;
  const percentile: [number, number] = [quantile(sorted, alpha), quantile(sorted, 1 - alpha)];

  // BCa: bias correction from the share of resamples below the estimate (ties count half)
  let below = 0;
  let atOrBelow = 0;
  let m = 0;
  for (let i = 0; i < B; i++) {
    const d = sorted[i]!;
    if (d < estimate) below++;
    if (d <= estimate) atOrBelow++;
    m += d;
  }
  m /= B;
  let ss = 0;
  for (let i = 0; i < B; i++) ss += (sorted[i]! - m) ** 2;
  const z0 = normalPpf((below + atOrBelow) / (2 * B));
  let num = 0;
  let den = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < na; i++) {
    const u = a[i]! - ma;
    s2 += u * u;
    s3 += u * u * u;
  }
  num += s3 / na ** 3;
  den += s2 / na ** 2;
  s2 = 0;
  s3 = 0;
  for (let j = 0; j < nb; j++) {
    const u = mb - b[j]!;
    s2 += u * u;
    s3 += u * u * u;
  }
  num += s3 / nb ** 3;
  den += s2 / nb ** 2;
  const acceleration = num / 6 / den ** 1.5;
  const za = normalPpf(alpha);
  const adjusted = (z: number): number => normalCdf(z0 + (z0 + z) / (1 - acceleration * (z0 + z)));
  const a1 = adjusted(za);
  const a2 = adjusted(-za);
  const bca: [number, number] = Number.isFinite(a1) && Number.isFinite(a2) ? [quantile(sorted, a1), quantile(sorted, a2)] : [Number.NaN, Number.NaN];
  return {
    estimate,
    ci: plan.method === 'bca' ? bca : percentile,
    percentile,
    bca,
    method: plan.method,
    confidence: plan.confidence,
    se: Math.sqrt(ss / (B - 1)),
    acceleration,
    biasCorrection: z0,
    resamples: plan.resamples,
    seed: plan.seed,
    chunkSize: plan.chunkSize,
  };
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** numpy.percentile(x, 100 q) with the default 'linear' method, on sorted x (numpy's lerp, exact at the ends). */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const pos = q * (n - 1);
  const lo = Math.max(0, Math.min(n - 1, Math.floor(pos)));
  const hi = Math.min(n - 1, lo + 1);
  const t = pos - lo;
  const x0 = sorted[lo]!;
  const x1 = sorted[hi]!;
  const d = x1 - x0;
  return t >= 0.5 ? x1 - d * (1 - t) : x0 + d * t;
}
