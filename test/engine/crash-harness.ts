// Shared by the crash-recovery test and the long kill loop: a seeded input in
// an embedded log, a topology with every kind of stateful operator and
// exactly-once sink, and a child process that can be SIGKILLed at random points.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { EmbeddedLog } from '../../streams/log/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';

const FIXTURE = path.resolve('test/engine/fixtures/crash-run.ts');

function topology(dir: string): string {
  return `
name: crash-test
checkpoint: { interval: 25ms }
runtime: { batchSize: 500 }
sources:
  - id: events
    type: log
    params: { topic: events, stopAtEnd: true }
    format: json
    eventTime: value.ts
    maxOutOfOrderness: 300ms
    deadLetter: { topic: events.dlq }
operators:
  - { id: keyed, type: keyBy, input: events, params: { expr: value.key } }
  - id: win
    type: window
    input: keyed
    params:
      window: { type: hopping, size: 1s, slide: 500ms }
      allowedLateness: 200ms
      aggregations: { count: { fn: count }, sum: { fn: sum, expr: value.v }, top: { fn: maxBy, expr: value.v, value: value.id } }
  - { id: sess, type: sessionWindow, input: keyed, params: { gap: 400ms, aggregations: { count: { fn: count }, max: { fn: max, expr: value.v } } } }
  - { id: running, type: aggregate, input: keyed, params: { aggregations: { count: { fn: count }, sum: { fn: sum, expr: value.v } } } }
  - { id: split, type: branch, input: events, params: { routes: { big: "value.v > 900" } } }
sinks:
  - { id: windows, type: jsonl, input: win, params: { path: ${dir}/out/windows.jsonl, shape: record } }
  - { id: late, type: jsonl, input: win.late, params: { path: ${dir}/out/late.jsonl } }
  - { id: sessions, type: jsonl, input: sess, params: { path: ${dir}/out/sessions.jsonl } }
  - { id: running-out, type: log, input: running, params: { topic: running, partitions: 2 } }
  - { id: big-out, type: log, input: split.big, params: { topic: big } }
`;
}

/** The same seeded input in a fresh data dir: JSON events over 3 partitions, some malformed, some late. */
export function prepare(dir: string, records: number): string {
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  log.createTopic('events', { partitions: 3 });
  const rng = new SplitMix32(2024);
  let batch: { key: Uint8Array; value: Uint8Array; timestamp: number }[] = [];
  for (let i = 0; i < records; i++) {
    const key = `user-${rng.nextInt(40)}`;
    let ts = 1_700_000_000_000 + i * 5 + rng.nextInt(250);
    if (rng.nextInt(100) === 0) ts -= 2000;
    const text = rng.nextInt(400) === 0 ? `{"id": ${i}, "broken` : JSON.stringify({ id: i, key, v: rng.nextInt(1000), ts });
    batch.push({ key: Buffer.from(key), value: Buffer.from(text), timestamp: ts });
    if (batch.length === 2000) {
      log.appendByKey('events', batch);
      batch = [];
    }
  }
  log.appendByKey('events', batch);
  log.close();
  const file = path.join(dir, 'topology.yaml');
  fs.writeFileSync(file, topology(dir));
  return file;
}

export function runToEnd(file: string, dir: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, file, dir], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, `child failed: ${r.stderr}`);
  return r.stdout;
}

/** Starts the child and SIGKILLs it a random few ms after its `after`-th checkpoint; resolves whether the kill hit a running job. */
export function runAndKill(file: string, dir: string, after: number, delayMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, file, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let seen = 0;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const n = (out.match(/checkpoint \d+/g) ?? []).length;
      if (!killed && n >= seen + after) {
        killed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(!out.includes('done'));
      else if (code === 0) resolve(false);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
    seen = 0;
  });
}

export function topicContents(dir: string, topic: string): string[] {
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  try {
    const rows: string[] = [];
    const parts = log.topicConfig(topic).partitions;
    for (let p = 0; p < parts; p++) {
      for (let off = log.startOffset(topic, p); off < log.endOffset(topic, p); ) {
        const got = log.read(topic, p, off, 10_000);
        for (const r of got) rows.push(`${p}:${r.offset}:${Buffer.from(r.key ?? []).toString()}:${r.timestamp}:${Buffer.from(r.value).toString('base64')}:${JSON.stringify(Object.keys(r.headers).sort().map((k) => [k, Buffer.from(r.headers[k]!).toString()]))}`);
        off = got.length ? got[got.length - 1]!.offset + 1 : log.endOffset(topic, p);
      }
    }
    return rows;
  } finally {
    log.close();
  }
}


/**
 * SIGKILLs the job in `b` `kills` times while it runs (each a random
 * 1..maxCheckpointsBeforeKill checkpoints plus 0-29 ms after a restart), then
 * finishes it and compares every output with the uninterrupted run in `a`.
 */
export async function killLoopMatches(root: string, o: { records: number; kills: number; seed: number; maxCheckpointsBeforeKill?: number }): Promise<void> {
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  const fileA = prepare(a, o.records);
  const fileB = prepare(b, o.records);
  runToEnd(fileA, a);
  const rng = new SplitMix32(o.seed);
  for (let kills = 0; kills < o.kills; kills++) {
    const hit = await runAndKill(fileB, b, 1 + rng.nextInt(o.maxCheckpointsBeforeKill ?? 2), rng.nextInt(30));
    // once the job has finished, no later kill can land: the input must outlast every kill
    assert.ok(hit, `the job finished after ${kills} of ${o.kills} kills; the input is too small for this many kills`);
  }
  assert.match(runToEnd(fileB, b), /"restoredFrom":\d+/);
  for (const f of ['windows.jsonl', 'late.jsonl', 'sessions.jsonl']) {
    const expected = fs.readFileSync(path.join(a, 'out', f), 'utf8');
    const actual = fs.readFileSync(path.join(b, 'out', f), 'utf8');
    assert.ok(expected.length > 0, `${f} is empty`);
    assert.is(actual.split('\n').length, expected.split('\n').length, `${f}: line count`);
    assert.ok(actual === expected, `${f} differs after crashes`);
  }
  for (const topic of ['running', 'big', 'events.dlq']) {
    const expected = topicContents(a, topic);
    assert.ok(expected.length > 0, `${topic} is empty`);
    assert.equal(topicContents(b, topic), expected, `topic ${topic} differs after crashes`);
  }
}
