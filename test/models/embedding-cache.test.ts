/** On-disk embedding cache: hits, version bumps, reopen, torn records, bit-identical round trips. */
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../engine/errors.ts';
import { hashEmbed } from '../../models/builtin/embedder.ts';
import { cacheFileName, cachedEmbedder, EmbeddingCache, type EmbedderLike } from '../../models/embedding-cache.ts';

const DIM = 16;
const RECORD = 32 + 4 * DIM + 4;
const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'maasflow-embcache-'));
  roots.push(d);
  return d;
}
test.after(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

const bytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A counting embedder over the built-in hashed embedding. */
function counting(id: string, dim = DIM): EmbedderLike & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id,
    dim,
    calls,
    async embed(texts) {
      calls.push([...texts]);
      return texts.map((t) => hashEmbed(t, dim));
    },
  };
}

test('repeat texts hit the cache: the model embeds each distinct text once, order is kept', async () => {
  const dir = tempDir();
  const model = counting('hash@1');
  const cache = new EmbeddingCache({ dir, modelVersion: 'hash@1', dim: DIM });
  const e = cachedEmbedder(model, cache);
  const first = await e.embed(['dog', 'cat', 'dog']);
  assert.equal(model.calls, [['dog', 'cat']]);
  assert.ok(bytes(first[0]!).equals(bytes(hashEmbed('dog', DIM))));
  assert.ok(bytes(first[2]!).equals(bytes(first[0]!)));
  assert.is.not(first[2], first[0], 'duplicates get their own arrays');

  const second = await e.embed(['cat', 'bird', 'dog']);
  assert.equal(model.calls, [['dog', 'cat'], ['bird']], 'only the miss goes to the model, in one batch');
  assert.equal(second.map((v) => bytes(v).toString('hex')), ['cat', 'bird', 'dog'].map((t) => bytes(hashEmbed(t, DIM)).toString('hex')));
  assert.equal(e.stats(), { hits: 2, misses: 4, embedded: 3 });

  await e.embed(['cat', 'dog']);
  assert.is(model.calls.length, 2, 'all hits: the model is not called');
  assert.equal(await e.embed([]), []);
  assert.is(cache.size, 3);
  cache.close();
});

test('bit-identical Float32 round trip, NaN payloads and negative zero included', () => {
  const dir = tempDir();
  const v = new Float32Array(DIM);
  const u32 = new Uint32Array(v.buffer);
  for (let i = 0; i < DIM; i++) u32[i] = (Math.imul(i + 1, 0x9e3779b9) >>> 0) & 0xff7fffff; // finite-ish bit patterns
  u32[0] = 0x7fc00001; // a NaN with a payload
  u32[1] = 0x80000000; // -0
  u32[2] = 0x00000001; // the smallest subnormal
  const c = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  c.put('text', v);
  assert.ok(bytes(c.get('text')!).equals(bytes(v)));
  c.close();
  const again = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.ok(bytes(again.get('text')!).equals(bytes(v)));
  assert.is(again.get('other'), undefined);
  again.close();
});

test('the cache survives reopening; a version bump misses and uses its own file', async () => {
  const dir = tempDir();
  const v1 = counting('hash@1');
  const c1 = new EmbeddingCache({ dir, modelVersion: 'hash@1', dim: DIM });
  await cachedEmbedder(v1, c1).embed(['alpha', 'beta']);
  c1.close();

  const reopened = new EmbeddingCache({ dir, modelVersion: 'hash@1', dim: DIM });
  assert.equal(reopened.recovery, { tornBytes: 0, badRecords: 0 });
  const again = counting('hash@1');
  const e = cachedEmbedder(again, reopened);
  await e.embed(['alpha', 'beta']);
  assert.equal(again.calls, [], 'served from disk after reopen');
  assert.equal(e.stats(), { hits: 2, misses: 0, embedded: 0 });

  const v2 = counting('hash@2');
  const c2 = new EmbeddingCache({ dir, modelVersion: 'hash@2', dim: DIM });
  assert.is(c2.size, 0);
  await cachedEmbedder(v2, c2).embed(['alpha']);
  assert.equal(v2.calls, [['alpha']], 'a new version misses');
  assert.is.not(c2.key('alpha').toString('hex'), reopened.key('alpha').toString('hex'));
  assert.equal(readdirSync(dir).sort(), [cacheFileName('hash@1'), cacheFileName('hash@2')].sort());

  // old versions stay until purged explicitly
  assert.equal(c2.purgeOtherVersions(), [cacheFileName('hash@1')]);
  assert.equal(readdirSync(dir), [cacheFileName('hash@2')]);
  reopened.close();
  c2.close();
});

test('a torn last record (crash mid-append) loses only that record', () => {
  const dir = tempDir();
  const c = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  const texts = ['one', 'two', 'three', 'four'];
  for (const t of texts) c.put(t, hashEmbed(t, DIM));
  c.close();
  const size = statSync(c.file).size;
  truncateSync(c.file, size - 10);

  const r = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.equal(r.recovery, { tornBytes: RECORD - 10, badRecords: 0 });
  assert.is(statSync(r.file).size, size - RECORD, 'cut back to the last whole record');
  for (const t of texts.slice(0, 3)) assert.ok(bytes(r.get(t)!).equals(bytes(hashEmbed(t, DIM))));
  assert.is(r.get('four'), undefined);
  // appends after recovery land on a record boundary
  r.put('four', hashEmbed('four', DIM));
  r.put('five', hashEmbed('five', DIM));
  r.close();
  const r2 = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.equal(r2.recovery, { tornBytes: 0, badRecords: 0 });
  assert.is(r2.size, 5);
  assert.ok(bytes(r2.get('five')!).equals(bytes(hashEmbed('five', DIM))));
  r2.close();
});

test('a record with a bad checksum (zero-filled hole) is skipped, the rest is kept', () => {
  const dir = tempDir();
  const c = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  c.putMany(['a', 'b', 'c'].map((t) => [t, hashEmbed(t, DIM)] as const));
  c.close();
  // overwrite record 'b' (the second) with zeros, as an OS crash can leave a hole
  const size = statSync(c.file).size;
  const headerLen = size - 3 * RECORD;
  const buf = Buffer.alloc(RECORD);
  const fd = openSync(c.file, 'r+');
  writeSync(fd, buf, 0, RECORD, headerLen + RECORD);
  closeSync(fd);
  const r = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.equal(r.recovery, { tornBytes: 0, badRecords: 1 });
  assert.ok(r.get('a'));
  assert.is(r.get('b'), undefined);
  assert.ok(r.get('c'));
  r.close();
});

test('configuration errors: dim mismatch for a version, wrong embedder, not a cache file, closed cache', () => {
  const dir = tempDir();
  new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM }).close();
  assert.throws(() => new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM * 2 }), (e: unknown) => e instanceof MaasflowError && e.code === 'CONFIG' && /16-dim/.test(e.message));
  const c = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.throws(() => cachedEmbedder(counting('other'), c), /cache is for model version "m"/);
  assert.throws(() => cachedEmbedder(counting('m', DIM + 1), c), /dim/);
  assert.throws(() => c.put('x', new Float32Array(3)), /length 3/);
  c.close();
  assert.throws(() => c.get('x'), /closed/);
  assert.throws(() => new EmbeddingCache({ dir, modelVersion: '', dim: DIM }), /modelVersion/);
  assert.throws(() => new EmbeddingCache({ dir, modelVersion: 'm', dim: 0 }), /dim/);

  const junk = tempDir();
  writeFileSync(join(junk, cacheFileName('m')), 'hello world, not a cache');
  assert.throws(() => new EmbeddingCache({ dir: junk, modelVersion: 'm', dim: DIM }), /not a maasflow embedding cache file/);
});

test('an embedder returning the wrong number of vectors is an error, and nothing is cached', async () => {
  const dir = tempDir();
  const c = new EmbeddingCache({ dir, modelVersion: 'bad', dim: DIM });
  const bad: EmbedderLike = { id: 'bad', dim: DIM, embed: async () => [] };
  try {
    await cachedEmbedder(bad, c).embed(['x']);
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /0 vectors for 1 texts/);
  }
  assert.is(c.size, 0);
  c.close();
});

test('a temp file left by a crash during creation is ignored and purged', () => {
  const dir = tempDir();
  const stale = `${cacheFileName('m')}.tmp-99999`;
  appendFileSync(join(dir, stale), 'MFEC');
  const c = new EmbeddingCache({ dir, modelVersion: 'm', dim: DIM });
  assert.is(c.size, 0);
  assert.equal(c.purgeOtherVersions(), [stale]);
  assert.not.ok(existsSync(join(dir, stale)));
  c.close();
});

test.run();
