/** The `duckdb` sink connector: driven through its definition, through a topology, and across processes. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Batch, Key } from '../../engine/batch.ts';
import type { Position, SinkConnector } from '../../engine/connectors.ts';
import { MaasflowError, ValidationErrors, type ErrorCode } from '../../engine/errors.ts';
import { runTopology } from '../../engine/runtime.ts';
import { duckdbSink, type DuckdbSinkParams } from '../../sinks/duckdb/index.ts';
import { DIRECT_ROWS } from '../../sinks/duckdb/writers.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { parseTopology } from '../../topologies/validate.ts';
import { makeContext, rmDir, schemas, tmpDir } from '../streams/connectors/helpers.ts';

const WRITER = path.resolve('test/sinks/fixtures/duckdb-writer.ts');
const T0 = 1_700_000_000_000;

function batch(values: unknown[], keys: (Key | null)[] | null = null, ts?: number[]): Batch {
  return { values, timestamps: Float64Array.from(ts ?? values.map((_, i) => T0 + i)), keys, watermark: -Infinity };
}

async function openSink(dir: string, params: DuckdbSinkParams, restore?: Position, id = 'hist'): Promise<SinkConnector> {
  const sink = duckdbSink.create(params, makeContext(dir, id));
  await sink.open(restore);
  return sink;
}

/** Runs SQL on the file with a DuckDB instance of its own (after the sink closed it). */
async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function expectError(code: ErrorCode, run: () => unknown, ...parts: string[]): Promise<MaasflowError> {
  try {
    await run();
  } catch (err) {
    assert.instance(err, MaasflowError, `expected a MaasflowError, got ${String(err)}`);
    const e = err as MaasflowError;
    assert.is(e.code, code, e.message);
    for (const part of parts) assert.ok(e.message.includes(part), `message should contain ${JSON.stringify(part)}: ${e.message}`);
    return e;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const ALL_TYPES: DuckdbSinkParams['columns'] = {
  id: 'BIGINT',
  ok: 'BOOLEAN',
  n: 'INTEGER',
  x: 'DOUBLE',
  f: 'FLOAT',
  name: 'VARCHAR',
  ts: 'TIMESTAMP',
  doc: 'JSON',
  emb: 'FLOAT[3]',
  vec: 'DOUBLE[2]',
  tags: 'VARCHAR[]',
  sensor: 'VARCHAR',
  at: 'TIMESTAMP',
  window_start: 'BIGINT',
};

test('append: every column type round-trips through the file; a missing field is NULL; flush returns rows committed', async () => {
  const dir = tmpDir('duckdb-append');
  try {
    const file = path.join(dir, 'nested', 'hist.duckdb');
    const params: DuckdbSinkParams = { path: file, table: 'readings', columns: ALL_TYPES, fields: { sensor: '$key', at: '$timestamp', window_start: 'window.start' } };
    const sink = await openSink(dir, params);
    const full = {
      id: 1,
      ok: true,
      n: -7,
      x: 21.5,
      f: 0.25,
      name: 'first',
      ts: '2024-05-01T12:00:00.250Z',
      doc: { a: [1, 'two', null], b: { c: true } },
      emb: [0.5, -1.5, 2],
      vec: new Float64Array([1e-9, 1e9]),
      tags: ['x', null, 'y'],
      window: { start: 1_714_564_800_000 },
    };
    await sink.write(batch([full, { id: 2 }], ['s-1', null], [T0, T0 + 0.5]));
    await sink.write(batch([]));
    await sink.write(batch([{ id: 3, ts: T0 + 1.25, emb: new Float32Array([1, 2, 3]), doc: 'text', tags: [] }], ['k-3']));
    await sink.write(batch([{ id: 4n, ts: '2024-05-01 14:00:00+02:00', doc: null, window: 'not an object' }, { id: 5, ts: new Date(T0) }], null, [T0 + 3, T0 + 4]));
    assert.is(await sink.flush(), 5);
    assert.is(await sink.flush(), 5, 'a flush with nothing new keeps the position');
    await sink.close();

    const rows = await query(
      file,
      `SELECT id, ok, n, x, f, name, epoch_us(ts) AS ts, doc::VARCHAR AS doc, emb, vec, tags, sensor, epoch_us("at") AS "at", window_start FROM readings ORDER BY id`,
    );
    const empty = { ok: null, n: null, x: null, f: null, name: null, doc: null, emb: null, vec: null, tags: null, sensor: null, window_start: null };
    assert.equal(rows, [
      { id: 1n, ok: true, n: -7, x: 21.5, f: 0.25, name: 'first', ts: 1_714_564_800_250_000n, doc: '{"a":[1,"two",null],"b":{"c":true}}', emb: [0.5, -1.5, 2], vec: [1e-9, 1e9], tags: ['x', null, 'y'], sensor: 's-1', at: BigInt(T0) * 1000n, window_start: 1_714_564_800_000n },
      { ...empty, id: 2n, ts: null, at: BigInt(T0) * 1000n + 500n },
      { ...empty, id: 3n, ts: BigInt(T0) * 1000n + 1250n, emb: [1, 2, 3], doc: '"text"', tags: [], sensor: 'k-3', at: BigInt(T0) * 1000n },
      { ...empty, id: 4n, ts: 1_714_564_800_000_000n, at: BigInt(T0 + 3) * 1000n },
      { ...empty, id: 5n, ts: BigInt(T0) * 1000n, at: BigInt(T0 + 4) * 1000n },
    ]);
    const types = await query(file, `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = 'readings' ORDER BY ordinal_position`);
    assert.equal(types.map((t) => `${String(t.name)} ${String(t.type)}`), Object.entries(ALL_TYPES).map(([n, t]) => `${n} ${t}`));
  } finally {
    rmDir(dir);
  }
});

test('append: a restored sink counts on from the checkpoint; an existing table of the same shape is appended to', async () => {
  const dir = tmpDir('duckdb-restore');
  try {
    const file = path.join(dir, 'h.duckdb');
    const params: DuckdbSinkParams = { path: file, table: 't', columns: { id: 'INTEGER' } };
    const first = await openSink(dir, params);
    await first.write(batch([{ id: 1 }, { id: 2 }]));
    const position = await first.flush();
    await first.close();
    const second = await openSink(dir, params, JSON.parse(JSON.stringify(position)) as Position);
    await second.write(batch([{ id: 3 }]));
    assert.is(await second.flush(), 3);
    await second.close();
    assert.equal(await query(file, 'SELECT id FROM t ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    await expectError('CHECKPOINT_MISMATCH', () => openSink(dir, params, 'x'), 'not a row count');
  } finally {
    rmDir(dir);
  }
});

interface Reading { sensor: string; window: { start: number }; value: number; seen: number[] }

test('upsert: one row per key holding the last value; replaying from an older checkpoint leaves the table identical', async () => {
  const dir = tmpDir('duckdb-upsert');
  try {
    const file = path.join(dir, 'state.duckdb');
    const params: DuckdbSinkParams = {
      path: file,
      table: 'latest',
      mode: 'upsert',
      key: ['sensor', 'window_start'],
      columns: { sensor: 'VARCHAR', window_start: 'TIMESTAMP', value: 'DOUBLE', seen: 'FLOAT[2]', at: 'TIMESTAMP' },
      fields: { window_start: 'window.start', at: '$timestamp' },
    };
    const rng = new SplitMix32(7);
    let t = T0;
    const mk = (n: number): Batch => {
      const values: Reading[] = Array.from({ length: n }, () => ({ sensor: `s-${rng.nextInt(5)}`, window: { start: T0 + rng.nextInt(3) * 10_000 }, value: rng.nextInt(1000) / 8, seen: [rng.nextInt(100), rng.nextInt(100)] }));
      return batch(values, null, values.map(() => t++));
    };
    const batches = [mk(40), mk(1), mk(25), mk(60), mk(30)];
    // the last value of each key over all batches, in write order
    const expected = new Map<string, { value: number; seen: number[]; at: number }>();
    for (const b of batches) (b.values as Reading[]).forEach((r, i) => expected.set(`${r.sensor}|${r.window.start}`, { value: r.value, seen: r.seen, at: b.timestamps[i]! }));
    // a key repeated inside one batch, last one wins
    const dup = batch([{ sensor: 's-9', window: { start: T0 }, value: 1, seen: [1, 1] }, { sensor: 's-9', window: { start: T0 }, value: 2, seen: [2, 2] }, { sensor: 's-9', window: { start: T0 }, value: 3, seen: [3, 3] }], null, [t, t + 1, t + 2]);
    batches.push(dup);
    expected.set(`s-9|${T0}`, { value: 3, seen: [3, 3], at: t + 2 });

    const sink = await openSink(dir, params);
    await sink.write(batches[0]!);
    await sink.write(batches[1]!);
    const checkpoint = await sink.flush(); // the checkpoint a restart goes back to
    for (const b of batches.slice(2, 4)) await sink.write(b);
    await sink.flush();
    for (const b of batches.slice(4)) await sink.write(b);
    assert.is(await sink.flush(), batches.reduce((n, b) => n + b.values.length, 0));
    await sink.close();

    const sql = `SELECT sensor, epoch_ms(window_start) AS ws, value, seen, epoch_ms("at") AS "at" FROM latest ORDER BY sensor, ws`;
    const table = await query(file, sql);
    const want = [...expected.entries()]
      .map(([k, v]) => ({ sensor: k.split('|')[0]!, ws: BigInt(k.split('|')[1]!), value: v.value, seen: v.seen, at: BigInt(v.at) }))
      .sort((a, b) => (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : Number(a.ws - b.ws)));
    assert.equal(table, want);

    // the process died after the last flush but before the engine's checkpoint: replay from the older one
    const replay = await openSink(dir, params, checkpoint);
    for (const b of batches.slice(2)) await replay.write(b);
    await replay.flush();
    await replay.close();
    assert.equal(await query(file, sql), table, 'replayed upserts replace themselves');
  } finally {
    rmDir(dir);
  }
});

test('upsert: new keys go straight into the table; a key already there or repeated falls back to staging (then backs off); the table is always last-write-wins', async () => {
  const dir = tmpDir('duckdb-upsert-paths');
  try {
    const file = path.join(dir, 'p.duckdb');
    const ctx = makeContext(dir, 'hist');
    const sink = duckdbSink.create({ path: file, table: 't', mode: 'upsert', key: ['id'], columns: { id: 'BIGINT', v: 'VARCHAR' } }, ctx);
    await sink.open(undefined);
    const fallbacks = (): number => ctx.metrics.total('duckdb_upsert_fallbacks');
    const want = new Map<number, string>();
    const interval = async (ids: number[], tag: string): Promise<void> => {
      // two batches per interval, so a fallback has to stage more than the batch that met the conflict
      const half = Math.ceil(ids.length / 2);
      for (const part of [ids.slice(0, half), ids.slice(half)]) await sink.write(batch(part.map((id, i) => ({ id, v: `${tag}-${i}` }))));
      for (const part of [ids.slice(0, half), ids.slice(half)]) part.forEach((id, i) => want.set(id, `${tag}-${i}`));
      await sink.flush();
    };
    const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo }, (_, i) => lo + i);
    await interval(range(0, 100), 'a'); // all new: direct
    assert.is(fallbacks(), 0);
    await interval(range(50, 150), 'b'); // 50 keys already in the table: fallback
    assert.is(fallbacks(), 1);
    await interval(range(200, 210), 'c'); // staged (backing off), not a conflict
    await interval(range(300, 310), 'd'); // direct again
    assert.is(fallbacks(), 1);
    await interval([400, 401, 400, 402], 'e'); // a key repeated among the new rows: fallback, the later row wins
    assert.is(fallbacks(), 2);
    await sink.close();
    const rows = await query(file, 'SELECT id, v FROM t ORDER BY id');
    assert.equal(rows, [...want].sort((x, y) => x[0] - y[0]).map(([id, v]) => ({ id: BigInt(id), v })));
  } finally {
    rmDir(dir);
  }
});

test('upsert: an interval longer than the direct limit stages the rest, and a key written in both parts keeps the last row; a conflict in the direct part is undone whole', async () => {
  const dir = tmpDir('duckdb-upsert-limit');
  try {
    const file = path.join(dir, 'l.duckdb');
    const ctx = makeContext(dir, 'hist');
    const sink = duckdbSink.create({ path: file, table: 't', mode: 'upsert', key: ['id'], columns: { id: 'BIGINT', v: 'VARCHAR' } }, ctx);
    await sink.open(undefined);
    const n = DIRECT_ROWS + 1000;
    await sink.write(batch(Array.from({ length: n }, (_, id) => ({ id, v: 'first' }))));
    await sink.write(batch([{ id: 5, v: 'last' }, { id: n - 1, v: 'last' }]));
    assert.is(await sink.flush(), n + 2);
    assert.is(ctx.metrics.total('duckdb_upsert_fallbacks'), 0, 'no conflict: the second part replaced rows of the first');
    // the next interval's direct part meets a key of the table (7, in its second batch) by the limit check: both batches are staged instead
    await sink.write(batch(Array.from({ length: 1000 }, (_, i) => ({ id: n + i, v: 'second' }))));
    await sink.write(batch(Array.from({ length: DIRECT_ROWS - 1000 }, (_, i) => ({ id: i === 0 ? 7 : n + 1000 + i, v: 'second' }))));
    await sink.flush();
    assert.is(ctx.metrics.total('duckdb_upsert_fallbacks'), 1);
    await sink.close();
    assert.equal(await query(file, "SELECT count(*) AS n, count(*) FILTER (v = 'last') AS last, count(*) FILTER (v = 'second') AS second FROM t"), [{ n: BigInt(n + DIRECT_ROWS - 1), last: 2n, second: BigInt(DIRECT_ROWS) }]);
    assert.equal(await query(file, 'SELECT v FROM t WHERE id IN (5, 7) ORDER BY id'), [{ v: 'last' }, { v: 'second' }]);
  } finally {
    rmDir(dir);
  }
});

test('unflushed rows never reach the file: close without flush, in both modes', async () => {
  const dir = tmpDir('duckdb-unflushed');
  try {
    const file = path.join(dir, 'u.duckdb');
    for (const mode of ['append', 'upsert'] as const) {
      const params: DuckdbSinkParams = { path: file, table: `t_${mode}`, mode, key: ['id'], columns: { id: 'BIGINT', v: 'VARCHAR' } };
      const sink = await openSink(dir, params);
      await sink.write(batch([{ id: 1, v: 'kept' }]));
      await sink.flush();
      await sink.write(batch([{ id: 1, v: 'lost' }, { id: 2, v: 'lost' }]));
      await sink.close();
      assert.equal(await query(file, `SELECT id, v FROM t_${mode} ORDER BY id`), [{ id: 1n, v: 'kept' }], mode);
    }
  } finally {
    rmDir(dir);
  }
});

test('a killed writer leaves only flushed rows; while it runs, the file is locked against another process', async () => {
  const dir = tmpDir('duckdb-kill');
  try {
    const file = path.join(dir, 'k.duckdb');
    const flushed = 5000;
    const pending = 150_000; // more than DuckDB's appender buffer: some of it reaches table storage inside the open transaction
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, dir, String(flushed), String(pending)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer not ready after 60 s: ${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`writer exited with ${code}: ${stderr}`)));
    });
    try {
      await expectError('CONFIG', () => openSink(dir, { path: file, table: 'events', columns: { id: 'BIGINT', v: 'DOUBLE' } }), 'duckdb sink "hist"', 'locked by another process', 'one writing process per file', 'Kafka topic');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    assert.equal(await query(file, 'SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, sum(v) AS total FROM events'), [{ n: BigInt(flushed), lo: 0n, hi: BigInt(flushed - 1), total: ((flushed - 1) * flushed) / 4 }]);
  } finally {
    rmDir(dir);
  }
});

test('bad values are refused with the sink, table, column and value; the bad batch appends nothing', async () => {
  const dir = tmpDir('duckdb-bad');
  try {
    const file = path.join(dir, 'b.duckdb');
    const sink = await openSink(dir, { path: file, table: 'scores', key: ['id'], columns: { id: 'BIGINT', score: 'DOUBLE', emb: 'FLOAT[3]', ts: 'TIMESTAMP', n: 'INTEGER', name: 'VARCHAR' } });
    await sink.write(batch([{ id: 1, score: 1 }]));
    const cases: [unknown, ...string[]][] = [
      [{ id: 2, score: 'abc' }, 'column score (DOUBLE) expects a number, got string "abc"'],
      [{ score: 3 }, 'column id (BIGINT) is part of the primary key and cannot be null, got undefined'],
      [{ id: null, score: 3 }, 'column id (BIGINT) is part of the primary key and cannot be null, got null'],
      [{ id: 2, emb: [1, 2] }, 'column emb (FLOAT[3]) expects an array of 3 numbers; got 2 elements, got array(2) [1,2]'],
      [{ id: 2, emb: [1, '2', 3] }, 'element 1 is string "2"'],
      [{ id: 2, emb: [1, 2, 1e300] }, 'in the FLOAT range; element 2 is number 1e+300'],
      [{ id: 2, ts: 'yesterday' }, 'column ts (TIMESTAMP) expects epoch milliseconds', 'got string "yesterday"'],
      [{ id: 2, ts: '2024-02-30T00:00:00Z' }, 'got string "2024-02-30T00:00:00Z"'],
      [{ id: 2, n: 2 ** 31 }, 'column n (INTEGER) expects an integer in the 32-bit range, got number 2147483648'],
      [{ id: 2.5 }, 'column id (BIGINT) expects a safe integer'],
      [{ id: 2, name: 7 }, 'column name (VARCHAR) expects a string, got number 7'],
      [42, 'reads field id of the record value, which is not an object, got number 42'],
    ];
    for (const [value, ...parts] of cases) {
      const err = await expectError('RECORD_VALIDATE', () => sink.write(batch([{ id: 9, score: 9 }, value], [null, 'k-7'])), 'duckdb sink "hist": table scores', ...parts);
      assert.ok(err.message.includes('(record 1 of the batch, key "k-7")'), err.message);
    }
    await sink.flush();
    await sink.close();
    assert.equal(await query(file, 'SELECT id, score FROM scores'), [{ id: 1n, score: 1 }], 'no row of a refused batch was appended');
  } finally {
    rmDir(dir);
  }
});

test('a key already in the table fails an append flush with a hint; a key or fields name outside the columns is a CONFIG error', async () => {
  const dir = tmpDir('duckdb-dupkey');
  try {
    const file = path.join(dir, 'd.duckdb');
    const sink = await openSink(dir, { path: file, table: 't', key: ['id'], columns: { id: 'BIGINT' } });
    await sink.write(batch([{ id: 1 }, { id: 1 }]));
    await expectError('RUNTIME', () => sink.flush(), 'duckdb sink "hist": committing 2 rows failed; mode append refuses a key that is already in the table or repeated among the new rows');
    await expectError('RUNTIME', () => sink.write(batch([{ id: 2 }])), 'committing 2 rows failed'); // a failed sink stays failed
    await sink.close();
    assert.equal(await query(file, 'SELECT count(*) AS n FROM t'), [{ n: 0n }]);

    assert.throws(() => duckdbSink.create({ path: file, table: 't', mode: 'upsert', key: ['idd'], columns: { id: 'BIGINT' } }, makeContext(dir, 'x')), /duckdb sink "x": key column idd is not among the columns \(id\)/);
    assert.throws(() => duckdbSink.create({ path: file, table: 't', columns: { id: 'BIGINT' }, fields: { idd: 'a.b' } }, makeContext(dir, 'x')), /fields names column idd/);
  } finally {
    rmDir(dir);
  }
});

test('a table that exists with other columns or another key is refused, naming both; create false needs the table', async () => {
  const dir = tmpDir('duckdb-shape');
  try {
    const file = path.join(dir, 's.duckdb');
    const sink = await openSink(dir, { path: file, table: 'hist', columns: { id: 'BIGINT', v: 'DOUBLE' } });
    await sink.close();
    await expectError(
      'CONFIG',
      () => openSink(dir, { path: file, table: 'hist', columns: { id: 'BIGINT', v: 'FLOAT', w: 'VARCHAR' } }),
      'duckdb sink "hist": table hist exists with columns (id BIGINT, v DOUBLE) no primary key, but the sink declares (id BIGINT, v FLOAT, w VARCHAR) no primary key',
    );
    await expectError('CONFIG', () => openSink(dir, { path: file, table: 'hist', mode: 'upsert', key: ['id'], columns: { id: 'BIGINT', v: 'DOUBLE' } }), 'but the sink declares (id BIGINT, v DOUBLE) primary key (id)');
    await expectError('CONFIG', () => openSink(dir, { path: file, table: 'other', create: false, columns: { id: 'BIGINT' } }), 'table other does not exist and create is false');
    // the same shape (identifiers are case-insensitive) is accepted
    const again = await openSink(dir, { path: file, table: 'HIST', columns: { ID: 'BIGINT', v: 'DOUBLE' }, create: false });
    await again.close();
  } finally {
    rmDir(dir);
  }
});

test('two sinks of one process share the file; it is readable by another instance once both close', async () => {
  const dir = tmpDir('duckdb-shared');
  try {
    const file = path.join(dir, 'shared.duckdb');
    const a = await openSink(dir, { path: file, table: 'a', columns: { id: 'INTEGER' } }, undefined, 'a');
    const b = await openSink(dir, { path: file, table: 'b', mode: 'upsert', key: ['id'], columns: { id: 'INTEGER', v: 'VARCHAR' } }, undefined, 'b');
    await a.write(batch([{ id: 1 }]));
    await b.write(batch([{ id: 1, v: 'x' }]));
    await a.flush();
    await a.close();
    await b.write(batch([{ id: 1, v: 'y' }]));
    await b.flush();
    await b.close();
    assert.equal(await query(file, 'SELECT (SELECT count(*) FROM a) AS a, (SELECT string_agg(v) FROM b) AS b'), [{ a: 1n, b: 'y' }]);
  } finally {
    rmDir(dir);
  }
});

function validationErrors(spec: unknown): string[] {
  try {
    parseTopology('duckdb.json', JSON.stringify(spec), schemas);
  } catch (err) {
    assert.instance(err, ValidationErrors);
    return (err as ValidationErrors).errors.map((e) => `${e.location?.path ?? ''}: ${e.message} [${e.code}]`);
  }
  return [];
}

test('topology validation: upsert needs a key; column types, names and fields are checked', () => {
  const spec = (params: Record<string, unknown>): unknown => ({
    name: 'duck',
    sources: [{ id: 'events', type: 'nexmark', params: { events: 10 } }],
    sinks: [{ id: 'out', type: 'duckdb', input: 'events', params: { path: 'x.duckdb', table: 't', columns: { id: 'BIGINT' }, ...params } }],
  });
  assert.equal(validationErrors(spec({})), []);
  assert.equal(validationErrors(spec({ mode: 'upsert' })), ['/sinks/0/params/key: missing required field "key" [TOPOLOGY_BAD_PARAMS]']);
  assert.equal(validationErrors(spec({ mode: 'upsert', key: ['id'] })), []);
  const bad = validationErrors(spec({ columns: { id: 'TEXT', v: 'FLOAT[0]' }, key: [], fields: { id: 'a..b' }, mode: 'merge', extra: 1 }));
  for (const part of ['/sinks/0/params/columns/id: "TEXT" does not match', '/sinks/0/params/columns/v: "FLOAT[0]" does not match', '/sinks/0/params/key:', '/sinks/0/params/fields/id: "a..b" does not match', '/sinks/0/params/mode: must be one of: "append", "upsert"', '/sinks/0/params/extra: unknown field "extra"']) {
    assert.ok(bad.some((e) => e.startsWith(part)), `${part} in:\n${bad.join('\n')}`);
  }
  assert.ok(validationErrors(spec({ table: 'drop table' })).some((e) => e.startsWith('/sinks/0/params/table: "drop table" does not match')));
});

test('end to end: nexmark bids through a window into duckdb (append and upsert), resumed and rerun', async () => {
  const dir = tmpDir('duckdb-topology');
  try {
    const file = path.join(dir, 'nexmark.duckdb');
    const text = JSON.stringify({
      name: 'duck-e2e',
      checkpoint: { interval: '10ms' },
      runtime: { batchSize: 500 },
      sources: [{ id: 'events', type: 'nexmark', params: { events: 6000, seed: 3 } }],
      operators: [
        { id: 'bids', type: 'filter', input: 'events', params: { expr: 'value.type == 2' } },
        { id: 'by-auction', type: 'keyBy', input: 'bids', params: { expr: 'value.bid.auction' } },
        { id: 'win', type: 'window', input: 'by-auction', params: { window: { type: 'tumbling', size: '100ms' }, aggregations: { bids: { fn: 'count' }, top: { fn: 'max', expr: 'value.bid.price' } } } },
      ],
      sinks: [
        {
          id: 'all-bids',
          type: 'duckdb',
          input: 'bids',
          params: { path: file, table: 'bids', columns: { auction: 'BIGINT', bidder: 'BIGINT', price: 'DOUBLE', at: 'TIMESTAMP', event: 'JSON' }, fields: { auction: 'bid.auction', bidder: 'bid.bidder', price: 'bid.price', at: '$timestamp', event: 'bid' } },
        },
        {
          id: 'per-window',
          type: 'duckdb',
          input: 'win',
          params: { path: file, table: 'windows', mode: 'upsert', key: ['auction', 'window_start'], columns: { auction: 'BIGINT', window_start: 'TIMESTAMP', bids: 'INTEGER', top: 'DOUBLE' }, fields: { auction: '$key', window_start: 'windowStart' } },
        },
      ],
    });
    const spec = parseTopology('duck-e2e.json', text, schemas).spec;
    const first = await runTopology(spec, { schemas, dataDir: dir });
    assert.ok(first.completed);
    assert.ok(first.checkpoints > 2, `several checkpoints (${first.checkpoints})`);

    const totals = 'SELECT (SELECT count(*) FROM bids) AS bids, (SELECT sum(bids) FROM windows) AS counted, (SELECT count(*) FROM windows) AS windows, (SELECT count(*) FROM bids WHERE json_extract(event, \'$.price\')::DOUBLE = price) AS json_ok';
    const [t] = await query(file, totals);
    assert.ok(Number(t!.bids) > 1000, `bids written: ${String(t!.bids)}`);
    assert.is(t!.counted, t!.bids, 'every bid is counted in exactly one window');
    assert.is(t!.json_ok, t!.bids);
    const check = await query(file, `SELECT count(*) AS bad FROM (SELECT auction, time_bucket(INTERVAL '100 milliseconds', "at") AS ws, count(*) AS n, max(price) AS top FROM bids GROUP BY ALL) b FULL JOIN windows w ON b.auction = w.auction AND b.ws = w.window_start WHERE b.n IS DISTINCT FROM w.bids OR b.top IS DISTINCT FROM w.top`);
    assert.equal(check, [{ bad: 0n }], 'the window table agrees with a GROUP BY over the bids table');

    // resuming a completed run writes nothing; a fresh run upserts the same windows and appends the bids again
    const windows = await query(file, 'SELECT * FROM windows ORDER BY auction, window_start');
    await runTopology(spec, { schemas, dataDir: dir });
    assert.equal(await query(file, totals), [t]);
    await runTopology(spec, { schemas, dataDir: dir, fresh: true });
    assert.equal(await query(file, 'SELECT * FROM windows ORDER BY auction, window_start'), windows);
    assert.equal(await query(file, 'SELECT count(*) AS n FROM bids'), [{ n: 2n * (t!.bids as bigint) }]);
  } finally {
    rmDir(dir);
  }
});

test.run();
