import { Subject } from 'rxjs';
import { watermarkBatch, type Batch, type Key } from './batch.ts';
import type { SourceChunk } from './connectors.ts';
import { rawBytes, type ValueDecoder } from './decode.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { CompiledExpression } from './expression/index.ts';
import type { Counter } from './metrics.ts';
import type { StateStore } from './state.ts';
import { currentWatermark, newWatermarkState, observe, type WatermarkState } from './watermark.ts';

export interface SourceStageOptions {
  id: string;
  decoder: ValueDecoder | null;
  eventTime: CompiledExpression | null;
  maxOutOfOrderness: number;
  watermarks: StateStore<'wm', WatermarkState>;
  records: Counter;
  deadLetters: Counter;
}

/**
 * The head of a topology (of one task): takes the records a poll of its
 * source delivered, decodes values, extracts event time, advances the
 * watermark, and emits one batch on `out` (and one on `dlq` when records
 * failed) per chunk. A bounded source ends with a +Infinity watermark so
 * every window fires.
 */
export class SourceStage {
  readonly out = new Subject<Batch>();
  readonly dlq = new Subject<Batch>();
  ended = false;

  constructor(private readonly o: SourceStageOptions) {}

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.out.next(watermarkBatch(Infinity));
    this.out.complete();
    this.dlq.complete();
  }

  push(chunk: SourceChunk): void {
    if (chunk.values.length === 0) return;
    const { decoder, eventTime } = this.o;
    const n = chunk.values.length;
    let values = chunk.values;
    let timestamps = chunk.timestamps;
    let keys = chunk.keys;
    let partitions = chunk.partitions;
    const dead: DeadLetter[] = [];

    if (decoder || eventTime) {
      const outValues: unknown[] = [];
      const outTs = new Float64Array(n);
      const outKeys: (Key | null)[] | null = keys ? [] : null;
      const outParts = partitions ? new Int32Array(n) : null;
      let m = 0;
      for (let i = 0; i < n; i++) {
        const raw = chunk.values[i];
        const key = keys ? keys[i]! : null;
        let value = raw;
        if (decoder) {
          const r = decoder(raw);
          if (!r.ok) {
            dead.push(this.deadLetter(chunk, i, r.reason));
            continue;
          }
          value = r.value;
        }
        let ts = chunk.timestamps[i]!;
        if (eventTime) {
          const t = eventTime(value, key, ts);
          if (typeof t !== 'number' || !Number.isFinite(t)) {
            dead.push(this.deadLetter(chunk, i, `event time expression gave ${JSON.stringify(t) ?? String(t)}, not a finite number`));
            continue;
          }
          ts = t;
        }
        outValues.push(value);
        outTs[m] = ts;
        if (outKeys) outKeys.push(key);
        if (outParts) outParts[m] = partitions![i]!;
        m++;
      }
      values = outValues;
      timestamps = outTs.subarray(0, m);
      keys = outKeys;
      partitions = outParts ? outParts.subarray(0, m) : null;
    }

    let wmState = this.o.watermarks.get('wm');
    if (!wmState) this.o.watermarks.set('wm', (wmState = newWatermarkState()));
    observe(wmState, partitions, timestamps, values.length);
    const watermark = currentWatermark(wmState, this.o.maxOutOfOrderness, chunk.lagging);

    this.o.records.inc(values.length);
    if (dead.length > 0) {
      this.o.deadLetters.inc(dead.length);
      const ts = new Float64Array(dead.length);
      for (let i = 0; i < dead.length; i++) ts[i] = dead[i]!.timestamp;
      this.dlq.next({ values: dead, timestamps: ts, keys: dead.map((d) => d.key), watermark });
    }
    this.out.next({ values, timestamps, keys, watermark });
  }

  private deadLetter(chunk: SourceChunk, i: number, reason: string): DeadLetter {
    return {
      reason,
      topic: chunk.topic,
      partition: chunk.partitions ? chunk.partitions[i]! : 0,
      offset: chunk.offsets ? chunk.offsets[i]! : -1,
      timestamp: chunk.timestamps[i]!,
      key: chunk.keys ? chunk.keys[i]! : null,
      raw: rawBytes(chunk.values[i]),
    };
  }
}
