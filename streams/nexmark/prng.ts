/**
 * Small, fast, seeded PRNG used by the Nexmark generator.
 *
 * SplitMix32: a counter-based generator (state += golden gamma, then a
 * murmur3-style finaliser). Re-seeding is a single assignment, which is what
 * the generator needs: every event draws from its own sub-stream seeded by
 * `hashSeed(seed, eventId)`, so any event is a pure function of
 * (seed, eventId) and generation can start at any event index.
 *
 * All arithmetic is 32-bit (Math.imul, >>>), so results are identical on
 * every JS engine.
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/** murmur3 fmix32 finaliser: a bijective 32-bit avalanche mix. Returns an unsigned 32-bit int. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Seed of the sub-stream for (seed, index). `index` may be any non-negative
 * integer below 2^53 (both 32-bit halves are mixed in).
 */
export function hashSeed(seed: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index * INV_TWO_POW_32) | 0;
  let h = fmix32((seed | 0) ^ 0x9e3779b9);
  h = fmix32(h ^ lo);
  h = fmix32((h + Math.imul(hi, 0x27d4eb2f)) | 0);
  return h;
}

export class SplitMix32 {
  /** Current 32-bit state (signed int32 representation). */
  private s: number;

  constructor(seed = 0) {
    this.s = seed | 0;
  }

  /** Re-seed in place (no allocation). */
  seed(seed: number): void {
    this.s = seed | 0;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    let z = (this.s = (this.s + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform double in [0, 1) with 32 bits of resolution. */
  nextDouble(): number {
    return this.nextU32() * INV_TWO_POW_32;
  }

  /** Uniform double in [0, 1) with 53 bits of resolution (two draws). */
  nextDouble53(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32 (multiply-high, one draw). */
  nextInt(n: number): number {
    const r = Math.floor(this.nextU32() * INV_TWO_POW_32 * n);
    return r < n ? r : n - 1; // product rounding can reach n when n > 2^21
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^53 (two draws). */
  nextLong(n: number): number {
    const r = Math.floor(this.nextDouble53() * n);
    return r < n ? r : n - 1; // product rounding can reach n
  }
}
