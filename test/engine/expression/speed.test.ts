/**
 * Prints (does not assert) how a compiled filter compares with the same
 * filter written by hand, over 1M records. Timings vary by machine.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileExpression } from '../../../engine/expression/index.ts';

interface Bid { auction: number; price: number }
interface Event { type: number; bid: Bid | undefined }

const N = 1_000_000;

function records(): Event[] {
  const out: Event[] = new Array<Event>(N);
  for (let i = 0; i < N; i++) {
    const type = i % 3;
    out[i] = { type, bid: type === 2 ? { auction: (i * 7919) % 100_000, price: i % 1000 } : undefined };
  }
  return out;
}

function run(values: readonly Event[], keys: readonly string[], ts: Float64Array, f: (v: Event, k: string, t: number) => unknown): { ms: number; kept: number } {
  let kept = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < values.length; i++) if (f(values[i]!, keys[i]!, ts[i]!)) kept++;
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, kept };
}

test('speed: compiled filter vs hand-written arrow function (printed, not asserted)', () => {
  const values = records();
  const keys = values.map((_, i) => `k${i % 100}`);
  const ts = new Float64Array(N).map((_, i) => i);
  const compiled = compileExpression('value.type == 2 && value.bid.auction % 123 == 0', { variables: ['value', 'key', 'timestamp'] });
  const byHand = (v: Event): boolean => v.type === 2 && v.bid!.auction % 123 === 0;
  const viaCompiled = (v: Event, k: string, t: number): unknown => compiled(v, k, t);

  // Warm up both, then take the best of five.
  for (let r = 0; r < 2; r++) {
    run(values, keys, ts, viaCompiled);
    run(values, keys, ts, byHand);
  }
  let best = { compiled: Infinity, hand: Infinity };
  let kept = { compiled: 0, hand: 0 };
  for (let r = 0; r < 5; r++) {
    const c = run(values, keys, ts, viaCompiled);
    const h = run(values, keys, ts, byHand);
    best = { compiled: Math.min(best.compiled, c.ms), hand: Math.min(best.hand, h.ms) };
    kept = { compiled: c.kept, hand: h.kept };
  }
  assert.is(kept.compiled, kept.hand, 'same records kept');
  const perRecord = (ms: number): string => ((ms * 1e6) / N).toFixed(2);
  console.log(
    `\n  filter over ${N.toLocaleString('en')} records (kept ${kept.compiled}): ` +
      `compiled ${best.compiled.toFixed(1)} ms (${perRecord(best.compiled)} ns/record), ` +
      `hand-written ${best.hand.toFixed(1)} ms (${perRecord(best.hand)} ns/record), ` +
      `ratio ${(best.compiled / best.hand).toFixed(2)}x`,
  );
});

test.run();
