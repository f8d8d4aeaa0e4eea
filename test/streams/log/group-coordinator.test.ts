import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog, rangeAssign } from '../../../streams/log/index.ts';
import { expectError, rmDir, tmpDir } from './helpers.ts';

let dir = '';
let log: EmbeddedLog;
test.before.each(() => {
  dir = tmpDir('groups');
  log = EmbeddedLog.open(dir);
  log.createTopic('t', { partitions: 5 });
});
test.after.each(() => {
  log.close();
  rmDir(dir);
});

test('range assignment over members sorted by id', () => {
  assert.equal(Object.fromEntries(rangeAssign(['b', 'a'], 5)), { a: [0, 1, 2], b: [3, 4] });
  assert.equal(Object.fromEntries(rangeAssign(['a', 'b', 'c'], 2)), { a: [0], b: [1], c: [] });
  assert.equal(Object.fromEntries(rangeAssign(['x'], 3)), { x: [0, 1, 2] });
});

test('two members split partitions; leave reassigns to the remaining one', () => {
  const a: number[][] = [];
  const b: number[][] = [];
  const ma = log.joinGroup('g', 't', 'member-a', (p) => a.push(p));
  assert.equal(a, [[0, 1, 2, 3, 4]]);
  const mb = log.joinGroup('g', 't', 'member-b', (p) => b.push(p));
  assert.equal(a[a.length - 1], [0, 1, 2]);
  assert.equal(b, [[3, 4]]);
  ma.leave();
  assert.equal(b[b.length - 1], [0, 1, 2, 3, 4]);
  assert.is(a.length, 2, 'a member that left gets no more callbacks');
  ma.leave(); // idempotent
  assert.is(b.length, 2);
  mb.leave();
});

test('groups are independent; duplicate member ids are rejected', () => {
  const g1: number[][] = [];
  const g2: number[][] = [];
  const m1 = log.joinGroup('g1', 't', 'm', (p) => g1.push(p));
  const m2 = log.joinGroup('g2', 't', 'm', (p) => g2.push(p));
  assert.equal(g1, [[0, 1, 2, 3, 4]]);
  assert.equal(g2, [[0, 1, 2, 3, 4]]);
  expectError('LOG_BAD_ARGUMENT', () => log.joinGroup('g1', 't', 'm', () => undefined));
  expectError('LOG_UNKNOWN_TOPIC', () => log.joinGroup('g1', 'nope', 'x', () => undefined));
  m1.leave();
  m2.leave();
});

test('every member is told its partitions on each rebalance; callbacks may leave reentrantly', () => {
  const seen = new Map<string, number[]>();
  const join = (id: string): { leave(): void } => log.joinGroup('g', 't', id, (p) => seen.set(id, p));
  const handles = ['c', 'a', 'b'].map(join);
  assert.equal(Object.fromEntries(seen), { a: [0, 1], b: [2, 3], c: [4] });
  let z: { leave(): void } | undefined;
  // 'z' leaves from inside its own callback as soon as it is left without partitions
  z = log.joinGroup('g', 't', 'z', (p) => {
    seen.set('z', p);
    if (p.length === 0) z?.leave();
  });
  assert.equal(Object.fromEntries(seen), { a: [0, 1], b: [2], c: [3], z: [4] });
  handles.push(join('d'));
  assert.equal(Object.fromEntries(seen), { a: [0], b: [1], c: [2], d: [3], z: [4] });
  handles.push(join('e'));
  // 6 members for 5 partitions: z (sorted last) got [] and left from its callback; the nested rebalance is the final one
  assert.equal(Object.fromEntries(seen), { a: [0], b: [1], c: [2], d: [3], e: [4], z: [] });
  assert.equal(log.groupMembers('g', 't'), ['a', 'b', 'c', 'd', 'e']);
  handles[0].leave(); // c leaves
  assert.equal(Object.fromEntries(seen), { a: [0, 1], b: [2], c: [2], d: [3], e: [4], z: [] });
  for (const h of handles) h.leave();
  assert.equal(log.groupMembers('g', 't'), []);
});

test('an onAssign that throws does not stop the other members', () => {
  const got: number[][] = [];
  log.joinGroup('g', 't', 'b', (p) => got.push(p));
  assert.throws(() =>
    log.joinGroup('g', 't', 'a', () => {
      throw new Error('boom');
    }),
  );
  assert.equal(got[got.length - 1], [3, 4]);
});

test.run();
