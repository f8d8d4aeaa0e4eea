import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTopology } from '../../engine/runtime.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { EmbeddedLog } from '../../streams/log/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../topologies/spec.ts';

// npm run test:long: 200k records, a third of them mutated Avro (bit flips, cuts, splices, random bytes),
// through a real topology. Every record ends up either decoded (and valid for the reader schema) or
// in the dead-letter topic; the job never stops.
test('fuzzed Avro input: every record is processed or dead-lettered, none lost, the job keeps running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-fuzz-'));
  try {
    const schemas = SchemaRegistry.load();
    const encode = schemas.encoder('demo.Reading@1');
    const rng = new SplitMix32(4242);
    const log = EmbeddedLog.open(path.join(dir, 'log'));
    log.createTopic('in', { partitions: 4 });
    const total = 200_000;
    let batch: { key: null; value: Uint8Array; timestamp: number }[] = [];
    for (let i = 0; i < total; i++) {
      let value: Uint8Array = encode({ sensor: `s${rng.nextInt(50)}`, value: rng.nextDouble() * 100, ts: 1_700_000_000_000 + i });
      switch (rng.nextInt(6)) {
        case 0: { const copy = Buffer.from(value); copy[rng.nextInt(copy.length)]! ^= 1 << rng.nextInt(8); value = copy; break; }
        case 1: value = value.subarray(0, rng.nextInt(value.length)); break;
        case 2: value = Buffer.concat([value, Buffer.from([rng.nextInt(256)])]); break;
        case 3: value = Buffer.from(Array.from({ length: rng.nextInt(40) }, () => rng.nextInt(256))); break;
        default: break;
      }
      batch.push({ key: null, value, timestamp: 1_700_000_000_000 + i });
      if (batch.length === 5000) {
        log.appendByKey('in', batch);
        batch = [];
      }
    }
    log.close();
    const spec: TopologySpec = {
      name: 'fuzz',
      sources: [{ id: 'in', type: 'log', params: { topic: 'in', stopAtEnd: true }, format: 'avro', schema: 'demo.Reading@2', deadLetter: { topic: 'in.dlq' } }],
      operators: [{ id: 'valid', type: 'filter', input: 'in', params: { expr: "len(value.sensor) >= 0 && value.unit == 'C'" } }],
      sinks: [{ id: 'out', type: 'log', input: 'in', params: { topic: 'out', format: 'avro', schema: 'demo.Reading@2' } }, { id: 'kept', type: 'blackhole', input: 'valid' }],
    };
    const summary = await runTopology(spec, { schemas, dataDir: dir });
    assert.ok(summary.completed);
    assert.ok(summary.deadLetters > total / 10, `dead letters ${summary.deadLetters}`);
    assert.is(summary.sourceRecords + summary.deadLetters, total);
    // every processed record re-encodes with the reader schema and decodes back to a valid value
    const out = EmbeddedLog.open(path.join(dir, 'log'));
    const decode = schemas.decoder('demo.Reading@2');
    let n = 0;
    for (let off = 0; off < out.endOffset('out', 0); ) {
      const got = out.read('out', 0, off, 10_000);
      for (const r of got) {
        const d = decode(r.value);
        assert.ok(d.ok, `record ${r.offset} does not decode`);
        if (d.ok) assert.equal(schemas.validate('demo.Reading@2', d.value), []);
        n++;
      }
      off = got[got.length - 1]!.offset + 1;
    }
    out.close();
    assert.is(n, summary.sourceRecords);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
