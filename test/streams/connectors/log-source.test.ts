/** The `log` source connector, driven directly through its definition. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Position, SourceChunk, SourceConnector } from '../../../engine/connectors.ts';
import { logSource } from '../../../streams/connectors/log/index.ts';
import type { EmbeddedLog } from '../../../streams/log/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { bytesText, drain, enc, makeContext, poll, rmDir, tmpDir } from './helpers.ts';

interface LogPos { offsets: Record<string, number>; cursor: number }

function logPos(p: Position): LogPos {
  assert.ok(p !== null && typeof p === 'object' && !Array.isArray(p), 'position is an object');
  const obj = p as { [k: string]: Position };
  const offsets = obj.offsets;
  assert.ok(offsets !== null && typeof offsets === 'object' && !Array.isArray(offsets), 'position.offsets is an object');
  assert.type(obj.cursor, 'number');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(offsets as { [k: string]: Position })) {
    assert.type(v, 'number');
    out[k] = v as number;
  }
  return { offsets: out, cursor: obj.cursor as number };
}

/** Appends `count` records to a partition: value `p<P>-<offset>`, key `k<offset % 7>` (every 5th null), timestamp 1000 + offset. */
function fill(log: EmbeddedLog, topic: string, partition: number, count: number): void {
  const start = log.endOffset(topic, partition);
  const records = [];
  for (let i = 0; i < count; i++) {
    const o = start + i;
    records.push({ key: o % 5 === 0 ? null : enc.encode(`k${o % 7}`), value: enc.encode(`p${partition}-${o}`), timestamp: 1000 + o });
  }
  if (count > 0) log.append(topic, partition, records);
}

interface Rec { partition: number; offset: number; value: string; key: string | number | null; ts: number }

function records(chunk: SourceChunk): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < chunk.values.length; i++) {
    out.push({ partition: chunk.partitions![i]!, offset: chunk.offsets![i]!, value: bytesText(chunk.values[i]), key: chunk.keys![i]!, ts: chunk.timestamps[i]! });
  }
  return out;
}

function checkRecord(r: Rec): void {
  assert.is(r.value, `p${r.partition}-${r.offset}`);
  assert.is(r.key, r.offset % 5 === 0 ? null : `k${r.offset % 7}`);
  assert.is(r.ts, 1000 + r.offset);
}

async function opened(ctx: ReturnType<typeof makeContext>, params: Record<string, unknown>, restore?: Position): Promise<SourceConnector> {
  const s = logSource.create(params, ctx);
  await s.open(restore);
  return s;
}

test('reads every partition with an even share per poll, in rotation, and reports lagging partitions', async () => {
  const dir = tmpDir('log-share');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const log = ctx.logs.acquire();
    log.createTopic('t', { partitions: 3 });
    const sizes = [900, 610, 45];
    sizes.forEach((n, p) => fill(log, 't', p, n));
    const src = await opened(ctx, { topic: 't', stopAtEnd: true });
    const rng = new SplitMix32(11);
    const remaining = [...sizes];
    const next = [0, 0, 0];
    let cursor = 0;
    for (let round = 0; ; round++) {
      assert.ok(round < 1000, 'the source ends');
      const max = [300, 10, 1, 7, 64][rng.nextInt(5)]!;
      const chunk = await poll(src, max);
      if (chunk.end) {
        assert.is(chunk.values.length, 0);
        assert.equal(chunk.lagging, []);
        break;
      }
      // model: partitions in rotation from the cursor, each at most ceil(max / 3), never more than max in all
      const share = Math.ceil(max / 3);
      const want = [0, 0, 0];
      let taken = 0;
      for (let k = 0; k < 3 && taken < max; k++) {
        const p = (cursor + k) % 3;
        want[p] = Math.min(share, max - taken, remaining[p]!);
        taken += want[p]!;
      }
      const got = records(chunk);
      assert.ok(got.length <= max, `poll(${max}) gave ${got.length}`);
      const perPartition = [0, 0, 0];
      for (const r of got) {
        checkRecord(r);
        assert.is(r.offset, next[r.partition], `partition ${r.partition} continues in order`);
        next[r.partition]!++;
        perPartition[r.partition]!++;
      }
      assert.equal(perPartition, want, `round ${round}, poll(${max}) from cursor ${cursor}`);
      // records come grouped by partition, the cursor's partition first
      if (got.length > 0) {
        const order = [...new Set(got.map((r) => r.partition))];
        const expectedOrder = [0, 1, 2].map((k) => (cursor + k) % 3).filter((p) => want[p]! > 0);
        assert.equal(order, expectedOrder);
      }
      for (let p = 0; p < 3; p++) remaining[p]! -= perPartition[p]!;
      assert.equal(chunk.lagging, [0, 1, 2].filter((p) => remaining[p]! > 0), 'lagging = partitions with unread records');
      assert.is(chunk.topic, 't');
      cursor = (cursor + 1) % 3;
      assert.is(logPos(src.position()).cursor, cursor);
    }
    assert.equal(next, sizes, 'every record read exactly once');
    await src.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('without stopAtEnd the source never ends; appended records show up as lagging, then are read', async () => {
  const dir = tmpDir('log-follow');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const log = ctx.logs.acquire();
    log.createTopic('t', { partitions: 2 });
    fill(log, 't', 0, 3);
    const src = await opened(ctx, { topic: 't' });
    let c = await poll(src, 100);
    assert.is(c.values.length, 3);
    assert.equal(c.lagging, []);
    assert.is(c.end, false);
    c = await poll(src, 100);
    assert.is(c.values.length, 0);
    assert.is(c.end, false, 'an unbounded log source does not end when caught up');
    fill(log, 't', 1, 4);
    fill(log, 't', 0, 2);
    c = await poll(src, 2); // share 1 per partition
    assert.is(c.values.length, 2);
    assert.equal(c.lagging, [0, 1]);
    const rest = await poll(src, 100);
    assert.is(rest.values.length, 4);
    assert.equal(rest.lagging, []);
    await src.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('commit writes the position as the group offsets (default group topology.id, or params.group)', async () => {
  const dir = tmpDir('log-commit');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const log = ctx.logs.acquire();
    log.createTopic('t', { partitions: 3 });
    for (let p = 0; p < 3; p++) fill(log, 't', p, 50);
    const a = await opened(ctx, { topic: 't' });
    await poll(a, 30);
    await poll(a, 30);
    await poll(a, 2); // cursor 2: one each from partitions 2 and 0
    const pos = logPos(a.position());
    assert.equal(pos.offsets, { 0: 21, 1: 20, 2: 21 });
    await a.commit(a.position());
    assert.equal(log.committedOffsets('topo.src', 't'), { 0: 21, 1: 20, 2: 21 });
    await a.close();

    const b = await opened(ctx, { topic: 't', group: 'explicit' });
    await poll(b, 3);
    await b.commit(b.position());
    assert.equal(log.committedOffsets('explicit', 't'), { 0: 1, 1: 1, 2: 1 });
    assert.equal(log.committedOffsets('topo.src', 't'), { 0: 21, 1: 20, 2: 21 }, 'other groups untouched');
    await b.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('a new run without a checkpoint resumes from the committed offsets: no re-delivery, nothing skipped', async () => {
  const dir = tmpDir('log-resume');
  try {
    const seen = new Map<string, number>();
    let afterCommit: string[] = [];
    const note = (chunk: SourceChunk): void => {
      for (const r of records(chunk)) {
        checkRecord(r);
        const k = `${r.partition}:${r.offset}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    };
    {
      const ctx = makeContext(dir, 'src', 'topo');
      const log = ctx.logs.acquire();
      log.createTopic('t', { partitions: 3 });
      [120, 80, 33].forEach((n, p) => fill(log, 't', p, n));
      const first = await opened(ctx, { topic: 't', stopAtEnd: true });
      for (let i = 0; i < 4; i++) note(await poll(first, 25));
      await first.commit(first.position());
      const uncommitted = await poll(first, 25); // read after the commit: delivered again (at-least-once without a checkpoint)
      afterCommit = records(uncommitted).map((r) => `${r.partition}:${r.offset}`);
      note(uncommitted);
      await first.close();
      ctx.logs.closeAll();
    }
    {
      // a new process: the log is reopened, more records arrive, the source opens without a checkpoint
      const ctx = makeContext(dir, 'src', 'topo');
      const log = ctx.logs.acquire();
      fill(log, 't', 2, 10);
      const second = await opened(ctx, { topic: 't', stopAtEnd: true });
      const firstChunk = await poll(second, 3);
      assert.equal(records(firstChunk).map((r) => `${r.partition}:${r.offset}`), ['0:34', '1:34', '2:32'], 'continues at the committed offsets');
      note(firstChunk);
      for (const c of await drain(second, 50)) note(c);
      await second.close();
      ctx.logs.closeAll();
    }
    const total = 120 + 80 + 33 + 10;
    assert.is(seen.size, total, 'every record delivered');
    const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
    // exactly the poll after the last commit is delivered twice
    assert.ok(afterCommit.length > 0);
    assert.equal(twice.sort(), [...afterCommit].sort());
  } finally {
    rmDir(dir);
  }
});

test('a checkpoint position wins over committed offsets, also after a JSON round trip', async () => {
  const dir = tmpDir('log-restore');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const log = ctx.logs.acquire();
    log.createTopic('t', { partitions: 2 });
    fill(log, 't', 0, 40);
    fill(log, 't', 1, 40);
    const a = await opened(ctx, { topic: 't' });
    await poll(a, 10);
    const checkpointed = JSON.parse(JSON.stringify(a.position())) as Position;
    const afterCheckpoint = records(await poll(a, 10));
    await poll(a, 10);
    await a.commit(a.position());
    await a.close();
    const b = await opened(ctx, { topic: 't' }, checkpointed);
    assert.equal(records(await poll(b, 10)), afterCheckpoint, 'the restored source polls the batch that followed the checkpoint');
    await b.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('startFrom latest skips what is already there (unless the group has committed offsets)', async () => {
  const dir = tmpDir('log-latest');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const log = ctx.logs.acquire();
    log.createTopic('t', { partitions: 2 });
    fill(log, 't', 0, 30);
    fill(log, 't', 1, 12);
    const src = await opened(ctx, { topic: 't', startFrom: 'latest', group: 'late' });
    assert.equal(logPos(src.position()).offsets, { 0: 30, 1: 12 });
    let c = await poll(src, 100);
    assert.is(c.values.length, 0);
    assert.equal(c.lagging, []);
    fill(log, 't', 1, 3);
    c = await poll(src, 100);
    assert.equal(records(c).map((r) => `${r.partition}:${r.offset}`), ['1:12', '1:13', '1:14']);
    await src.close();

    log.commitOffsets('committed', 't', { 0: 5 });
    const other = await opened(ctx, { topic: 't', startFrom: 'latest', group: 'committed' });
    assert.equal(logPos(other.position()).offsets, { 0: 5, 1: 15 }, 'committed offset for partition 0, latest for partition 1');
    await other.close();

    const earliest = await opened(ctx, { topic: 't', group: 'fresh' });
    assert.equal(logPos(earliest.position()).offsets, { 0: 0, 1: 0 }, 'default startFrom is earliest');
    await earliest.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test('a missing topic is created (one partition); with stopAtEnd the source ends at once', async () => {
  const dir = tmpDir('log-missing');
  const ctx = makeContext(dir, 'src', 'topo');
  try {
    const src = await opened(ctx, { topic: 'nothing-yet', stopAtEnd: true });
    const c = await poll(src, 10);
    assert.is(c.values.length, 0);
    assert.is(c.end, true);
    assert.is(ctx.logs.acquire().topicConfig('nothing-yet').partitions, 1);
    await src.close();
  } finally {
    ctx.logs.closeAll();
    rmDir(dir);
  }
});

test.run();
