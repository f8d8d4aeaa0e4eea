/**
 * Bounded-out-of-orderness watermarks per source partition: a partition's
 * watermark is its highest event time minus `maxOutOfOrderness`; the source's
 * is the minimum over every partition that delivered records or still has
 * unread ones (a partition that stays empty does not hold it back).
 * The state is a plain object so checkpoints carry it.
 */
export interface WatermarkState { maxByPartition: Record<number, number>; emitted: number }

export function newWatermarkState(): WatermarkState {
  return { maxByPartition: {}, emitted: -Infinity };
}

export function observe(state: WatermarkState, partitions: Int32Array | null, timestamps: Float64Array, count: number): void {
  if (partitions === null) {
    let max = state.maxByPartition[0] ?? -Infinity;
    for (let i = 0; i < count; i++) if (timestamps[i]! > max) max = timestamps[i]!;
    if (count > 0) state.maxByPartition[0] = max;
    return;
  }
  for (let i = 0; i < count; i++) {
    const p = partitions[i]!;
    const cur = state.maxByPartition[p];
    if (cur === undefined || timestamps[i]! > cur) state.maxByPartition[p] = timestamps[i]!;
  }
}

/**
 * The watermark to emit now: never moves backwards. `lagging` partitions
 * (unread records waiting) that have not delivered yet hold it at -Infinity.
 */
export function currentWatermark(state: WatermarkState, maxOutOfOrderness: number, lagging?: readonly number[] | null): number {
  if (lagging) for (const p of lagging) if (state.maxByPartition[p] === undefined) return state.emitted;
  let min = Infinity;
  let any = false;
  for (const key in state.maxByPartition) {
    any = true;
    const v = state.maxByPartition[key]!;
    if (v < min) min = v;
  }
  const wm = any ? min - maxOutOfOrderness : -Infinity;
  if (wm > state.emitted) state.emitted = wm;
  return state.emitted;
}
