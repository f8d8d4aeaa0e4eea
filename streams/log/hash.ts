/**
 * Stable key -> partition hash: FNV-1a 32-bit over the key bytes
 * (offset basis 2166136261, prime 16777619), unsigned, modulo the partition
 * count. Stable across processes, platforms and versions; changing it would
 * move keys to other partitions, so it is part of the on-disk contract.
 */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partitionForKey(key: Uint8Array, partitions: number): number {
  return fnv1a32(key) % partitions;
}
