/** Sanity check (not a benchmark): 200k 100-byte records in and out; prints rates, asserts only correctness. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog, type LogRecordInput } from '../../../streams/log/index.ts';
import { rmDir, tmpDir } from './helpers.ts';

test('append and read back 200k 100-byte records', () => {
  const dir = tmpDir('throughput');
  try {
    const log = EmbeddedLog.open(dir);
    log.createTopic('t', { partitions: 1, segmentBytes: 8 * 1024 * 1024 });
    const total = 200_000;
    const batchSize = 1000;
    const value = new Uint8Array(100).fill(7);
    const t0 = performance.now();
    for (let i = 0; i < total; i += batchSize) {
      const batch: LogRecordInput[] = new Array(batchSize);
      for (let j = 0; j < batchSize; j++) {
        const v = value.slice();
        new DataView(v.buffer).setUint32(0, i + j, true);
        batch[j] = { key: null, value: v, timestamp: i + j };
      }
      log.append('t', 0, batch);
    }
    log.flush();
    const t1 = performance.now();
    let next = 0;
    while (next < total) {
      const got = log.read('t', 0, next, 10_000);
      for (const r of got) {
        if (r.offset !== next || new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, true) !== next) {
          assert.unreachable(`record ${next} wrong`);
        }
        next++;
      }
      if (got.length === 0) break;
    }
    const t2 = performance.now();
    assert.is(next, total);
    // random point reads use the sparse index
    for (let k = 0; k < 1000; k++) {
      const off = Math.floor(Math.random() * total);
      assert.is(log.read('t', 0, off, 1)[0].offset, off);
    }
    const t3 = performance.now();
    const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en')} rec/s`;
    console.log(
      `  append: ${(t1 - t0).toFixed(0)} ms (${rate(total, t1 - t0)}), read: ${(t2 - t1).toFixed(0)} ms (${rate(total, t2 - t1)}), ` +
        `1000 random point reads: ${(t3 - t2).toFixed(0)} ms`,
    );
    log.close();
  } finally {
    rmDir(dir);
  }
});

test.run();
