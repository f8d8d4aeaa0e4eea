/**
 * The seeded generator every random choice of the toolkit draws from
 * (k-means++ seeding, isolation-forest samples and splits, KDE reference
 * samples, scenarios, simulation noise). SplitMix32 underneath: 32-bit
 * integer arithmetic only, so the same seed gives the same draws on every
 * engine and in every worker thread.
 */
import { SplitMix32, hashSeed } from '../streams/nexmark/prng.ts';

export class Rng {
  private readonly g: SplitMix32;
  private spare: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${String(seed)}`);
    this.g = new SplitMix32(hashSeed(seed | 0, 0x51ed));
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    return this.g.nextDouble53();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.g.nextDouble53();
  }

  /** Uniform integer in [0, n), 0 < n <= 2^53. */
  int(n: number): number {
    return this.g.nextLong(n);
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.g.nextDouble53();
    const v = this.g.nextDouble53();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** k distinct indices of [0, n), in draw order (partial Fisher–Yates). */
  sample(n: number, k: number): Uint32Array {
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`Rng.sample: k = ${k} must be an integer in 0..${n}`);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    return idx.slice(0, k);
  }

  /** Shuffles `xs` in place (Fisher–Yates) and returns it. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  /** An independent generator for sub-task `index` (a tree, an init, a worker chunk): the same whatever ran before. */
  fork(index: number): Rng {
    return new Rng(hashSeed(this.seed | 0, index));
  }
}
