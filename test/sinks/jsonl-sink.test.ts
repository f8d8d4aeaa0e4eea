/** The `jsonl` sink connector, driven directly through its definition. */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Batch, Key } from '../../engine/batch.ts';
import type { Position, SinkConnector } from '../../engine/connectors.ts';
import { jsonlSink } from '../../sinks/jsonl/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { makeContext, rmDir, tmpDir } from '../streams/connectors/helpers.ts';

function batch(values: unknown[], keys: (Key | null)[] | null = null, ts?: number[]): Batch {
  return { values, timestamps: Float64Array.from(ts ?? values.map((_, i) => 1000 + i)), keys, watermark: -Infinity };
}

async function openSink(dir: string, params: Record<string, unknown>, restore?: Position): Promise<SinkConnector> {
  const sink = jsonlSink.create(params, makeContext(dir));
  await sink.open(restore);
  return sink;
}

const jsonl = (values: unknown[]): string => values.map((v) => `${JSON.stringify(v)}\n`).join('');

test('writes one JSON value per line; flush returns the file length', async () => {
  const dir = tmpDir('jsonl-basic');
  try {
    const file = path.join(dir, 'nested', 'deeper', 'out.jsonl');
    const sink = await openSink(dir, { path: file });
    const values = [{ a: 1 }, 'text', 42, null, [1, 2], { nested: { b: 'x' } }];
    await sink.write(batch(values.slice(0, 2)));
    await sink.write(batch([]));
    await sink.write(batch(values.slice(2)));
    const size = await sink.flush();
    assert.is(fs.readFileSync(file, 'utf8'), jsonl(values));
    assert.is(size, fs.statSync(file).size);
    await sink.close();
  } finally {
    rmDir(dir);
  }
});

test('restore truncates to the checkpointed length, then appends after it', async () => {
  const dir = tmpDir('jsonl-restore');
  try {
    const rng = new SplitMix32(21);
    const file = path.join(dir, 'out.jsonl');
    const mk = (n: number, tag: string): unknown[] => Array.from({ length: n }, (_, i) => ({ tag, i, r: rng.nextInt(1000) }));
    const committed = mk(5, 'committed');
    const lost = mk(7, 'after-checkpoint');
    const replayed = mk(4, 'replayed');

    const first = await openSink(dir, { path: file });
    await first.write(batch(committed));
    const checkpoint = await first.flush();
    await first.write(batch(lost)); // written, never checkpointed (crash)
    await first.close();
    assert.is(fs.readFileSync(file, 'utf8'), jsonl([...committed, ...lost]));

    for (const mode of ['overwrite', 'append']) {
      const restored = await openSink(dir, { path: file, mode }, JSON.parse(JSON.stringify(checkpoint)) as Position);
      assert.is(fs.readFileSync(file, 'utf8'), jsonl(committed), `mode ${mode}: restore cut the file at the checkpoint`);
      await restored.write(batch(replayed));
      assert.is(await restored.flush(), Buffer.byteLength(jsonl([...committed, ...replayed])));
      await restored.close();
      assert.is(fs.readFileSync(file, 'utf8'), jsonl([...committed, ...replayed]));
      fs.truncateSync(file, checkpoint as number);
    }

    // a baseline checkpoint of 0 empties the file
    fs.writeFileSync(file, jsonl(lost));
    const fromZero = await openSink(dir, { path: file, mode: 'append' }, 0);
    assert.is(fs.readFileSync(file, 'utf8'), '');
    await fromZero.close();
  } finally {
    rmDir(dir);
  }
});

test('a fresh start overwrites by default; mode append keeps the existing content', async () => {
  const dir = tmpDir('jsonl-mode');
  try {
    const file = path.join(dir, 'out.jsonl');
    const old = '{"old":true}\n';
    fs.writeFileSync(file, old);
    const appending = await openSink(dir, { path: file, mode: 'append' });
    await appending.write(batch([{ n: 1 }]));
    await appending.flush();
    await appending.close();
    assert.is(fs.readFileSync(file, 'utf8'), `${old}{"n":1}\n`);

    const overwriting = await openSink(dir, { path: file });
    assert.is(fs.readFileSync(file, 'utf8'), '', 'default mode overwrite empties the file on a fresh start');
    await overwriting.write(batch([{ n: 2 }]));
    await overwriting.flush();
    await overwriting.close();
    assert.is(fs.readFileSync(file, 'utf8'), '{"n":2}\n');
  } finally {
    rmDir(dir);
  }
});

test('shape record writes {key, timestamp, value}; value shape writes the value only', async () => {
  const dir = tmpDir('jsonl-shape');
  try {
    const file = path.join(dir, 'records.jsonl');
    const sink = await openSink(dir, { path: file, shape: 'record' });
    await sink.write(batch([{ a: 1 }, 'two'], ['k1', 7], [1_700_000_000_000, 1_700_000_000_500.5]));
    await sink.write(batch([[3]], null, [42]));
    await sink.flush();
    await sink.close();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(lines, [
      { key: 'k1', timestamp: 1_700_000_000_000, value: { a: 1 } },
      { key: 7, timestamp: 1_700_000_000_500.5, value: 'two' },
      { key: null, timestamp: 42, value: [3] },
    ]);
    // the key order of a record line is fixed
    assert.ok(fs.readFileSync(file, 'utf8').startsWith('{"key":"k1","timestamp":1700000000000,"value":{"a":1}}\n'));
  } finally {
    rmDir(dir);
  }
});

test.run();
