/** The `replay` (JSONL file) source connector, driven directly through its definition. */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Position, SourceChunk, SourceConnector } from '../../../engine/connectors.ts';
import { MaasflowError } from '../../../engine/errors.ts';
import { replaySource } from '../../../streams/connectors/replay/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { bytesText, drain, makeContext, poll, rmDir, tmpDir } from './helpers.ts';

interface Line { offset: number; text: string }

function lines(chunks: readonly SourceChunk[]): Line[] {
  const out: Line[] = [];
  for (const c of chunks) {
    assert.is(c.keys, null);
    assert.is(c.partitions, null);
    assert.is(c.timestamps.length, c.values.length);
    for (let i = 0; i < c.values.length; i++) out.push({ offset: c.offsets![i]!, text: bytesText(c.values[i]) });
  }
  return out;
}

/** What the source should deliver for a file's text: every non-empty line with its 0-based line index. */
function expected(text: string): Line[] {
  const parts = text.split('\n');
  if (text.endsWith('\n')) parts.pop();
  return parts.map((t, offset) => ({ offset, text: t })).filter((l) => l.text.length > 0);
}

async function openReplay(dir: string, file: string, params: Record<string, unknown> = {}, restore?: Position): Promise<SourceConnector> {
  const src = replaySource.create({ path: file, ...params }, makeContext(dir));
  await src.open(restore);
  return src;
}

async function expectConfigError(fn: () => Promise<unknown>, ...needles: string[]): Promise<MaasflowError> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof MaasflowError)) throw err;
    assert.is(err.code, 'CONFIG');
    for (const n of needles) assert.ok(err.message.includes(n), `${JSON.stringify(err.message)} mentions ${JSON.stringify(n)}`);
    return err;
  }
  assert.unreachable('expected a CONFIG error');
  throw new Error('expected a CONFIG error');
}

test('blank lines are skipped but counted; a last line without newline is delivered; the source ends', async () => {
  const dir = tmpDir('replay-basic');
  try {
    for (const text of ['{"a":1}\n\n{"b":2}\n\n\n{"c":3}', '{"a":1}\n\n{"b":2}\n\n\n{"c":3}\n', '\n\n{"x":0}', '{"only":1}']) {
      const file = path.join(dir, 'in.jsonl');
      fs.writeFileSync(file, text);
      const src = await openReplay(dir, file);
      const chunks = await drain(src, 100);
      assert.equal(lines(chunks), expected(text), JSON.stringify(text));
      assert.is(chunks[chunks.length - 1]!.end, true);
      assert.is(chunks[0]!.topic, path.resolve(file));
      await src.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('an empty file and a file of blank lines end at once with nothing delivered', async () => {
  const dir = tmpDir('replay-empty');
  try {
    for (const text of ['', '\n\n\n']) {
      const file = path.join(dir, 'in.jsonl');
      fs.writeFileSync(file, text);
      const src = await openReplay(dir, file);
      const c = await poll(src, 10);
      assert.is(c.values.length, 0);
      assert.is(c.end, true);
      await src.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('seeded random lines across many chunks: every line once, in order, at most max per poll', async () => {
  const dir = tmpDir('replay-random');
  try {
    for (const seed of [1, 2, 3]) {
      const rng = new SplitMix32(seed);
      const parts: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const len = rng.nextDouble() < 0.1 ? 0 : 1 + rng.nextInt(rng.nextDouble() < 0.05 ? 1000 : 80);
        let s = '';
        for (let k = 0; k < len; k++) s += String.fromCharCode(32 + rng.nextInt(95));
        parts.push(s);
      }
      const text = parts.join('\n') + (rng.nextDouble() < 0.5 ? '\n' : '');
      const file = path.join(dir, `in-${seed}.jsonl`);
      fs.writeFileSync(file, text);
      const src = await openReplay(dir, file, { chunkBytes: 1024 });
      const got: SourceChunk[] = [];
      for (let i = 0; ; i++) {
        assert.ok(i < 100_000);
        const max = 1 + rng.nextInt(50);
        const c = await poll(src, max);
        assert.ok(c.values.length <= max, `poll(${max}) gave ${c.values.length}`);
        got.push(c);
        if (c.end) break;
      }
      assert.equal(lines(got), expected(text), `seed ${seed}`);
      await src.close();
    }
  } finally {
    rmDir(dir);
  }
});

test('a line longer than chunkBytes fails with a clear error naming the line', async () => {
  const dir = tmpDir('replay-long');
  try {
    const file = path.join(dir, 'in.jsonl');
    fs.writeFileSync(file, `{"a":1}\n\n{"b":2}\n${'x'.repeat(5000)}\n{"c":3}\n`);
    const src = await openReplay(dir, file, { chunkBytes: 1024 });
    const first = await poll(src, 2);
    assert.equal(lines([first]), [{ offset: 0, text: '{"a":1}' }, { offset: 2, text: '{"b":2}' }]);
    await expectConfigError(async () => src.poll(10), 'line 4', 'longer than chunkBytes (1024)', path.resolve(file));
    await src.close();

    // also when the long line is the last one (no newline after it)
    fs.writeFileSync(file, `{"a":1}\n${'y'.repeat(3000)}`);
    const last = await openReplay(dir, file, { chunkBytes: 1024 });
    await expectConfigError(async () => drain(last, 10), 'line 2', 'longer than chunkBytes');
    await last.close();
  } finally {
    rmDir(dir);
  }
});

test('a line of exactly chunkBytes bytes is not longer than chunkBytes and is read', async () => {
  const dir = tmpDir('replay-exact');
  try {
    const file = path.join(dir, 'in.jsonl');
    const exact = 'z'.repeat(1024);
    fs.writeFileSync(file, `${exact}\n{"after":1}\n`);
    const src = await openReplay(dir, file, { chunkBytes: 1024 });
    assert.equal(lines(await drain(src, 10)), [{ offset: 0, text: exact }, { offset: 1, text: '{"after":1}' }]);
    await src.close();
  } finally {
    rmDir(dir);
  }
});

test('resumes from a position (after a JSON round trip) with the same line numbers', async () => {
  const dir = tmpDir('replay-resume');
  try {
    const rng = new SplitMix32(5);
    const parts: string[] = [];
    for (let i = 0; i < 300; i++) parts.push(rng.nextDouble() < 0.15 ? '' : JSON.stringify({ i, v: rng.nextInt(1e6) }));
    const text = parts.join('\n');
    const file = path.join(dir, 'in.jsonl');
    fs.writeFileSync(file, text);
    const all = expected(text);
    for (const cut of [1, 7, 40, 150]) {
      const a = await openReplay(dir, file, { chunkBytes: 1024 });
      const before: SourceChunk[] = [];
      let delivered = 0;
      while (delivered < cut) {
        const c = await poll(a, Math.min(7, cut - delivered));
        delivered += c.values.length;
        before.push(c);
      }
      const pos = JSON.parse(JSON.stringify(a.position())) as Position;
      await a.close();
      const b = await openReplay(dir, file, { chunkBytes: 1024 }, pos);
      const after = await drain(b, 13);
      await b.close();
      assert.equal([...lines(before), ...lines(after)], all, `cut after ${cut} records`);
    }
  } finally {
    rmDir(dir);
  }
});

test('a missing file is a CONFIG error on open', async () => {
  const dir = tmpDir('replay-missing');
  try {
    const src = replaySource.create({ path: path.join(dir, 'nope.jsonl') }, makeContext(dir));
    await expectConfigError(() => src.open(undefined), 'replay source: cannot open', 'nope.jsonl');
  } finally {
    rmDir(dir);
  }
});

test.run();
