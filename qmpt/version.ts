/**
 * Versions of metrics and feature specs (docs/QMPT.md §8): `name.vN#h` with
 * h the first 8 hex digits of the SHA-256 of the canonical JSON of what
 * decides the numbers (configuration, fitted state), so two scores compare
 * only when their versions match.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; typed arrays as plain arrays. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
      return out;
    }
    return v;
  });
}

export function versionHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 8);
}

/** e.g. metricVersion('anomaly', 1, config) → "anomaly.v1#3f2a9c1e". */
export function metricVersion(name: string, revision: number, config: unknown): string {
  return `${name}.v${revision}#${versionHash(config)}`;
}
