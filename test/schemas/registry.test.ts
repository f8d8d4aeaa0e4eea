import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SchemaRegistry } from '../../schemas/index.ts';
import { expectError, plain } from './helpers.ts';

const registry = SchemaRegistry.load();

const bid = { auction: 1000, bidder: 2001, price: 12_345, channel: 'Google', url: 'https://example.com/item?id=7', dateTime: 1_700_000_000_123, extra: '' };
const person = {
  id: 1000, name: 'Peter Jones', emailAddress: 'pj@example.com', creditCard: '1234 5678 9012 3456',
  city: 'Boise', state: 'ID', dateTime: 1_700_000_000_000, extra: 'x',
};
const auction = {
  id: 1000, itemName: 'lamp', description: 'a lamp', initialBid: 100, reserve: 200, dateTime: 1_700_000_000_000,
  expires: 1_700_000_100_000, seller: 1000, category: 10, extra: '',
};

test('the shipped registry loads', () => {
  assert.equal(registry.subjects(), ['demo.Reading', 'maas.PipelineRunEvent', 'nexmark.Auction', 'nexmark.Bid', 'nexmark.Person', 'qmpt.Observation']);
  assert.equal(registry.schemas().map((s) => [s.id, s.subject, s.version, s.file]), [
    [1, 'nexmark.Person', 1, 'nexmark/Person.v1.avsc'],
    [2, 'nexmark.Auction', 1, 'nexmark/Auction.v1.avsc'],
    [3, 'nexmark.Bid', 1, 'nexmark/Bid.v1.avsc'],
    [4, 'demo.Reading', 1, 'demo/Reading.v1.avsc'],
    [5, 'demo.Reading', 2, 'demo/Reading.v2.avsc'],
    [6, 'maas.PipelineRunEvent', 1, 'maas/PipelineRunEvent.v1.avsc'],
    [7, 'qmpt.Observation', 1, 'qmpt/Observation.v1.avsc'],
  ]);
  assert.ok(registry.has('nexmark.Bid'));
  assert.not.ok(registry.has('nexmark.Bidd'));
});

test('get, byId and resolveRef', () => {
  assert.is(registry.get('demo.Reading').version, 2);
  assert.is(registry.get('demo.Reading', 'latest').id, 5);
  assert.is(registry.get('demo.Reading', 1).id, 4);
  assert.is(registry.byId(3).subject, 'nexmark.Bid');
  assert.is(registry.resolveRef('nexmark.Bid').id, 3);
  assert.is(registry.resolveRef('nexmark.Bid@1').id, 3);
  assert.is(registry.resolveRef('demo.Reading@latest').id, 5);
  assert.is(registry.resolveRef('demo.Reading@1').id, 4);
});

test('lookups of unknown schemas name what was asked and what exists', () => {
  expectError(() => registry.get('nexmark.Bidd'), 'SCHEMA_NOT_FOUND', 'nexmark.Bidd', 'latest', 'nexmark.Bid', 'demo.Reading');
  expectError(() => registry.get('nexmark.Bid', 2), 'SCHEMA_NOT_FOUND', 'nexmark.Bid@2', 'versions 1');
  expectError(() => registry.resolveRef('demo.Reading@3'), 'SCHEMA_NOT_FOUND', 'demo.Reading@3', 'versions 1, 2');
  expectError(() => registry.resolveRef('nexmark.Bid@two'), 'SCHEMA_NOT_FOUND', 'nexmark.Bid@two', '<subject>@<version>');
  expectError(() => registry.resolveRef(''), 'SCHEMA_NOT_FOUND', 'bad schema reference');
  expectError(() => registry.byId(99), 'SCHEMA_NOT_FOUND', 'id 99', '1, 2, 3, 4, 5');
  expectError(() => registry.decoder('nope.Nope'), 'SCHEMA_NOT_FOUND', 'nope.Nope');
});

test('round trip for every shipped schema', () => {
  const cases: [string, object][] = [['nexmark.Bid', bid], ['nexmark.Person', person], ['nexmark.Auction', auction], ['demo.Reading@1', { sensor: 's1', value: 21.5, ts: 5 }], ['demo.Reading', { sensor: 's1', value: -0.25, ts: 6, unit: 'F' }]];
  for (const [ref, value] of cases) {
    const bytes = registry.encode(ref, value);
    assert.is(bytes[0], 0, 'magic byte');
    assert.is(Buffer.from(bytes).readUInt32BE(1), registry.resolveRef(ref).id, 'schema id in header');
    const out = registry.decoder(ref)(bytes);
    assert.ok(out.ok, `${ref}: ${out.ok ? '' : out.reason}`);
    if (out.ok) assert.equal(plain(out.value), value);
  }
});

test('encode writes the schema id big-endian after the magic byte', () => {
  const big = SchemaRegistry.fromEntries([{ id: 0x01020304, subject: 't.T', version: 1, schema: { type: 'record', name: 'T', namespace: 't', fields: [{ name: 'a', type: 'int' }] } }]);
  const bytes = big.encode('t.T', { a: 1 });
  assert.equal([...bytes], [0, 1, 2, 3, 4, 2]);
  const out = big.decoder('t.T')(bytes);
  assert.ok(out.ok);
});

test('a reusable encoder gives the same bytes as encode', () => {
  const enc = registry.encoder('nexmark.Bid');
  assert.equal([...enc(bid)], [...registry.encode('nexmark.Bid', bid)]);
});

test('encoding a large value grows the scratch buffer', () => {
  const big = { ...bid, extra: 'x'.repeat(300_000) };
  const out = registry.decoder('nexmark.Bid')(registry.encode('nexmark.Bid', big));
  assert.ok(out.ok);
  if (out.ok) assert.equal(plain(out.value), big);
});

test('writer v1 -> reader v2 fills in the default', () => {
  const bytes = registry.encode('demo.Reading@1', { sensor: 'a', value: 1.5, ts: 10 });
  const out = registry.decoder('demo.Reading@2')(bytes);
  assert.ok(out.ok);
  if (out.ok) assert.equal(plain(out.value), { sensor: 'a', value: 1.5, ts: 10, unit: 'C' });
});

test('reader v1 reading v2 data drops the new field', () => {
  const bytes = registry.encode('demo.Reading@2', { sensor: 'a', value: 1.5, ts: 10, unit: 'K' });
  const out = registry.decoder('demo.Reading@1')(bytes);
  assert.ok(out.ok);
  if (out.ok) assert.equal(plain(out.value), { sensor: 'a', value: 1.5, ts: 10 });
});

test('one decoder reads a mixed stream of versions', () => {
  const dec = registry.decoder('demo.Reading');
  const stream = [
    registry.encode('demo.Reading@1', { sensor: 'a', value: 1, ts: 1 }),
    registry.encode('demo.Reading@2', { sensor: 'b', value: 2, ts: 2, unit: 'F' }),
    registry.encode('demo.Reading@1', { sensor: 'c', value: 3, ts: 3 }),
  ];
  assert.equal(stream.map((b) => { const r = dec(b); return r.ok ? plain(r.value) : r.reason; }), [
    { sensor: 'a', value: 1, ts: 1, unit: 'C' },
    { sensor: 'b', value: 2, ts: 2, unit: 'F' },
    { sensor: 'c', value: 3, ts: 3, unit: 'C' },
  ]);
});

test('validate: [] for valid values, field paths for invalid ones', () => {
  assert.equal(registry.validate('nexmark.Bid', bid), []);
  assert.equal(registry.validate('nexmark.Bid', { ...bid, price: 'abc' }), ['price: expected long, got "abc"']);
  assert.equal(registry.validate('nexmark.Bid', { ...bid, price: 1.5 }), ['price: expected long, got 1.5']);
  const missing: Record<string, unknown> = { ...bid };
  delete missing['url'];
  assert.equal(registry.validate('nexmark.Bid', missing), ['url: expected string, got undefined (missing field)']);
  assert.equal(registry.validate('nexmark.Bid', null), ['(root): expected record nexmark.Bid, got null']);
  // a field with a default may be left out
  assert.equal(registry.validate('demo.Reading@2', { sensor: 's', value: 1, ts: 1 }), []);
});

test('validate: nested, array, map and union paths', () => {
  const reg = SchemaRegistry.fromEntries([{
    id: 1, subject: 'shop.Order', version: 1,
    schema: {
      type: 'record', name: 'Order', namespace: 'shop',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'address', type: ['null', { type: 'record', name: 'Address', fields: [{ name: 'zip', type: 'string' }] }] }] } },
        { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
        { name: 'tags', type: { type: 'map', values: 'int' } },
        { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
      ],
    },
  }]);
  const good = { id: 1, customer: { name: 'a', address: { zip: '123' } }, lines: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 2 }], tags: { a: 1 }, status: 'NEW' };
  assert.equal(reg.validate('shop.Order', good), []);
  const bad = {
    id: 1,
    customer: { name: 'a', address: { zip: 123 } },
    lines: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 2 }, { sku: 7, qty: 2 ** 40 }],
    tags: { colour: null },
    status: 'LOST',
  };
  assert.equal(reg.validate('shop.Order', bad), [
    'customer.address.zip: expected string, got 123',
    'lines[2].sku: expected string, got 7',
    'lines[2].qty: expected int, got 1099511627776',
    'tags["colour"]: expected int, got null',
    'status: expected enum shop.Status, got "LOST"',
  ]);
  assert.equal(reg.validate('shop.Order', { ...good, lines: 'nope' }), ['lines: expected array<record shop.Line>, got "nope"']);
  const err = expectError(() => reg.encode('shop.Order', bad), 'RECORD_VALIDATE', 'shop.Order@1', 'lines[2].sku', 'customer.address.zip');
  assert.ok(err.message.includes('tags["colour"]'));
});

test('encode refuses invalid values with RECORD_VALIDATE and the field path', () => {
  expectError(() => registry.encode('nexmark.Bid', { ...bid, price: 'abc' }), 'RECORD_VALIDATE', 'nexmark.Bid@1', 'price: expected long, got "abc"');
  expectError(() => registry.encode('nexmark.Bid', { ...bid, auction: 2 ** 60 }), 'RECORD_VALIDATE', 'auction', 'not a safe integer');
});

test.run();
