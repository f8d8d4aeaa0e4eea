import { createHash } from 'node:crypto';

/** One arm of an experiment and its share of the traffic. */
export interface SplitArm { readonly name: string; readonly ratio: number }

/**
 * Deterministic assignment of a unit (user or thread id) to an arm:
 * u = first 52 bits of sha256(salt \0 unit) / 2^52, uniform on [0, 1); the arm
 * is the first whose cumulative ratio exceeds u * total. The same unit and
 * salt always land in the same arm, in any process; another salt reshuffles.
 */
export function assignArm(unitId: string, salt: string, arms: readonly SplitArm[]): string {
  if (arms.length === 0) throw new Error('assignArm: no arms');
  const digest = createHash('sha256').update(`${salt}\0${unitId}`).digest();
  const u = (digest.readUInt32BE(0) * 2 ** 20 + (digest.readUInt32BE(4) >>> 12)) / 2 ** 52;
  const total = arms.reduce((s, a) => s + a.ratio, 0);
  let cumulative = 0;
  for (const arm of arms) {
    cumulative += arm.ratio;
    if (u * total < cumulative) return arm.name;
  }
  return arms[arms.length - 1]!.name;
}
