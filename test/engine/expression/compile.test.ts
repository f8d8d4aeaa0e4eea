import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { compileExpression, compileObject, checkExpression, expressionCache, fnv1a32 } from '../../../engine/expression/index.ts';

const VARS = { variables: ['value', 'key', 'timestamp'] } as const;
const ev = (expr: string, value: unknown = {}, key: unknown = 'k', timestamp: unknown = 1000): unknown =>
  compileExpression(expr, VARS)(value, key, timestamp);

test('literals', () => {
  assert.is(ev('42'), 42);
  assert.is(ev('3.25'), 3.25);
  assert.is(ev('.5'), 0.5);
  assert.is(ev('1e3'), 1000);
  assert.is(ev('"hi"'), 'hi');
  assert.is(ev("'it\\'s'"), "it's");
  assert.is(ev('"a\\nb"'), 'a\nb');
  assert.is(ev('true'), true);
  assert.is(ev('false'), false);
  assert.is(ev('null'), null);
});

test('variables are parameters in the given order', () => {
  assert.is(ev('value', 7), 7);
  assert.is(ev('key', 0, 'the-key'), 'the-key');
  assert.is(ev('timestamp', 0, 'k', 123), 123);
  const f = compileExpression('a - b', { variables: ['b', 'a'] });
  assert.is(f(1, 10), 9);
});

test('arithmetic + - * / %', () => {
  assert.is(ev('value + 2', 3), 5);
  assert.is(ev('value - 2', 3), 1);
  assert.is(ev('value * 2', 3), 6);
  assert.is(ev('value / 2', 3), 1.5);
  assert.is(ev('value % 2', 7), 1);
  assert.is(ev('-value', 3), -3);
  assert.is(ev('- -value', 3), 3);
  assert.is(ev('1 + 2 * 3'), 7);
  assert.is(ev('(1 + 2) * 3'), 9);
  assert.is(ev('10 - 4 - 3'), 3);
  assert.is(ev('2 * -3'), -6);
  assert.is(ev('value / 0', 1), Infinity);
  assert.is(ev('"a" + 1'), 'a1');
});

test('comparisons: == and != are strict', () => {
  assert.is(ev('value == 2', 2), true);
  assert.is(ev('value == 2', '2'), false);
  assert.is(ev('value != 2', '2'), true);
  assert.is(ev('value === 2', 2), true);
  assert.is(ev('value !== 2', 2), false);
  assert.is(ev('value == null', null), true);
  assert.is(ev('value.missing == null', {}), false, 'undefined is not null');
  assert.is(ev('value < 2', 1), true);
  assert.is(ev('value <= 2', 2), true);
  assert.is(ev('value > 2', 2), false);
  assert.is(ev('value >= 2', 2), true);
  assert.is(ev('"b" > "a"'), true);
  const f = compileExpression('value == 2', VARS);
  assert.not.ok(f.toString().includes(' == '), 'compiled to ===');
});

test('logical && || ! and short circuit', () => {
  assert.is(ev('true && false'), false);
  assert.is(ev('false || value', 5), 5);
  assert.is(ev('!value', 0), true);
  assert.is(ev('!!value', 'x'), true);
  assert.is(ev('value.a > 1 && value.b < 1', { a: 2, b: 0 }), true);
  assert.is(ev('value.a > 1 || value.b.c.d', { a: 2 }), true);
  assert.is(ev('1 < 2 == true'), true);
});

test('ternary, arrays, parentheses', () => {
  assert.is(ev('value > 1 ? "big" : "small"', 5), 'big');
  assert.is(ev('value > 1 ? "big" : "small"', 0), 'small');
  assert.is(ev('value ? 1 : value === 0 ? 2 : 3', 0), 2);
  assert.equal(ev('[value, key, 1 + 1]', 1, 'k'), [1, 'k', 2]);
  assert.equal(ev('[]'), []);
  assert.is(ev('[10, 20, 30][1]'), 20);
  assert.is(ev('((((value))))', 4), 4);
});

test('member access, including on missing fields', () => {
  const rec = { bid: { price: 10, auction: 7, tags: ['x', 'y'] }, 'odd key': 1, n: null };
  assert.is(ev('value.bid.price', rec), 10);
  assert.is(ev('value["bid"]["auction"]', rec), 7);
  assert.is(ev("value['odd key']", rec), 1);
  assert.is(ev('value.bid.tags[1]', rec), 'y');
  assert.is(ev('value.bid.tags.length', rec), 2);
  assert.is(ev('value?.bid?.price', rec), 10);
  assert.is(ev('value.nope', rec), undefined);
  assert.is(ev('value.nope.deeper.still', rec), undefined);
  assert.is(ev('value.n.x', rec), undefined);
  assert.is(ev('value.bid.tags[5].x', rec), undefined);
  assert.is(ev('value.a.b', null), undefined);
  assert.is(ev('value.a.b', undefined), undefined);
  assert.is(ev('value.x.y > 3', {}), false);
  assert.is(ev('[1, 2][0]'), 1);
  assert.is(ev('value.type == 2 && value.bid.auction % 123 == 0', { type: 2, bid: { auction: 246 } }), true);
  assert.is(ev('value.type == 2 && value.bid.auction % 123 == 0', { type: 2 }), false);
});

test('math functions', () => {
  assert.is(ev('abs(-3)'), 3);
  assert.is(ev('floor(2.7)'), 2);
  assert.is(ev('ceil(2.1)'), 3);
  assert.is(ev('round(2.5)'), 3);
  assert.is(ev('round(-2.5)'), -2);
  assert.is(ev('min(3, 1, 2)'), 1);
  assert.is(ev('max(3, 1, 2)'), 3);
  assert.is(ev('sqrt(16)'), 4);
  assert.is(ev('pow(2, 10)'), 1024);
  assert.is(ev('log(exp(2))'), 2);
  assert.is(ev('exp(0)'), 1);
});

test('string and conversion functions', () => {
  assert.is(ev('len("abc")'), 3);
  assert.is(ev('len(value)', [1, 2]), 2);
  assert.is(ev('len(value)', 5), undefined);
  assert.is(ev('len(value.missing)'), undefined);
  assert.is(ev('lower("AbC")'), 'abc');
  assert.is(ev('upper("AbC")'), 'ABC');
  assert.is(ev('lower(value.missing)'), undefined);
  assert.is(ev('concat("a", 1, true, value.missing, null)'), 'a1true');
  assert.is(ev('contains("haystack", "st")'), true);
  assert.is(ev('contains("haystack", "x")'), false);
  assert.is(ev('contains(value, 2)', [1, 2]), true);
  assert.is(ev('contains(value, "2")', [1, 2]), false);
  assert.is(ev('contains(value.missing, "a")'), false);
  assert.is(ev('startsWith("prefix-x", "prefix")'), true);
  assert.is(ev('startsWith("x", "prefix")'), false);
  assert.is(ev('startsWith(5, "5")'), false);
  assert.equal(ev('split("a,b,c", ",")'), ['a', 'b', 'c']);
  assert.is(ev('split(value.missing, ",")'), undefined);
  assert.is(ev('split("a,b,c", ",")[2]'), 'c');
  assert.is(ev('substr("abcdef", 2)'), 'cdef');
  assert.is(ev('substr("abcdef", 2, 3)'), 'cde');
  assert.is(ev('substr("abcdef", -2)'), 'ef');
  assert.is(ev('substr("abcdef", 1, 0)'), '');
  assert.is(ev('substr(value.missing, 1)'), undefined);
  assert.is(ev('number("42.5")'), 42.5);
  assert.is(ev('number(true)'), 1);
  assert.ok(Number.isNaN(ev('number("x")')));
  assert.ok(Number.isNaN(ev('number("")')));
  assert.ok(Number.isNaN(ev('number(value.missing)')));
  assert.is(ev('string(42)'), '42');
  assert.is(ev('string(value.missing)'), '');
  assert.is(ev('coalesce(value.a, value.b, 3)', { b: 0 }), 0);
  assert.is(ev('coalesce(value.a, value.b, 3)', {}), 3);
  assert.is(ev('coalesce(value.a)', {}), undefined);
  assert.is(ev('coalesce(value.a, null)', {}), null);
});

test('coalesce evaluates lazily', () => {
  let reads = 0;
  const value = { a: 1, get b(): number { reads++; return 2; } };
  assert.is(ev('coalesce(value.a, value.b)', value), 1);
  assert.is(reads, 0);
});

test('hash is FNV-1a 32-bit, unsigned, over UTF-8 of String(x)', () => {
  assert.is(ev('hash("")'), 0x811c9dc5);
  assert.is(ev('hash("a")'), 0xe40c292c);
  assert.is(ev('hash("foobar")'), 0xbf9cf968);
  assert.is(ev('hash(123)'), ev('hash("123")'));
  assert.is(ev('hash(value)', null), fnv1a32('null'));
  // Non-ASCII goes through UTF-8: compare with a byte-wise reference.
  for (const s of ['é', '€', '😀', 'naïve ☃ 𝄞']) {
    let h = 0x811c9dc5;
    for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193);
    assert.is(fnv1a32(s), h >>> 0, s);
  }
  assert.ok((ev('hash(value)', 'x') as number) >= 0);
});

test('now() and unknown functions are refused', () => {
  const [message] = checkExpression('now() > 1', VARS);
  assert.match(message!, /now\(\) is not allowed: expressions must be deterministic/);
  assert.match(checkExpression('foo(1)', VARS)[0]!, /unknown function foo\(\); available: abs, floor/);
  assert.match(checkExpression('pow(2)', VARS)[0]!, /pow\(\) takes 2 arguments, got 1/);
  assert.match(checkExpression('substr("x")', VARS)[0]!, /substr\(\) takes 2 to 3 arguments, got 1/);
  assert.match(checkExpression('min()', VARS)[0]!, /min\(\) takes at least 1 argument, got 0/);
});

test('helpers come from a frozen closure, not globals', () => {
  expressionCache.clear();
  const f = compileExpression('abs(value) + floor(value)', VARS);
  assert.not.ok(f.toString().includes('Math'));
  const original = Math.abs;
  try {
    Math.abs = (): number => 999;
    assert.is(f(-2.5), -0.5);
    assert.is(compileExpression('abs(value)', VARS)(-2), 2, 'a fresh compile is not affected either');
  } finally {
    Math.abs = original;
  }
});

test('compileObject: one function, fresh objects, given key order', () => {
  const f = compileObject({ price_eur: 'value.bid.price * 0.908', auction: 'value.bid.auction', k: 'key', zero: '0' }, VARS);
  const rec = { bid: { price: 100, auction: 7 } };
  const a = f(rec, 'k1', 1) as Record<string, unknown>;
  const b = f(rec, 'k1', 1) as Record<string, unknown>;
  assert.equal(a, { price_eur: 90.8, auction: 7, k: 'k1', zero: 0 });
  assert.equal(Object.keys(a), ['price_eur', 'auction', 'k', 'zero']);
  assert.is.not(a, b, 'fresh object per call');
  a['extra'] = 1;
  assert.is(b['extra'], undefined);
  assert.equal(f({}, null, 0), { price_eur: NaN, auction: undefined, k: null, zero: 0 });
  assert.equal(compileObject({}, VARS)(1), {});
  const reversed = compileObject({ z: '1', a: '2', m: '3' }, VARS)() as Record<string, unknown>;
  assert.equal(Object.keys(reversed), ['z', 'a', 'm']);
  assert.is(Object.getPrototypeOf(reversed), Object.prototype);
});

test('compileObject: errors name the field; __proto__ field refused', () => {
  try {
    compileObject({ ok: 'value.a', bad: 'value.a +', worse: 'now()' }, { ...VARS, source: 'operators/1/params/fields' });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, MaasflowError);
    const e = err as MaasflowError;
    assert.is(e.code, 'TOPOLOGY_BAD_EXPRESSION');
    assert.match(e.message, /field "bad": expression "value.a \+" at column 10: expected expression after \+/);
    assert.match(e.message, /field "worse": expression "now\(\)" at column 1: now\(\) is not allowed/);
    assert.is(e.location?.path, '/operators/1/params/fields');
  }
  assert.throws(() => compileObject(JSON.parse('{"__proto__": "1"}') as Record<string, string>, VARS), /__proto__/);
});

test('cache by (expr, variables)', () => {
  expressionCache.clear();
  const a = compileExpression('value + 1', VARS);
  const b = compileExpression('value + 1', { ...VARS, source: 'elsewhere' });
  const c = compileExpression('value + 1', { variables: ['value'] });
  assert.is(a, b);
  assert.is.not(a, c);
  assert.is(expressionCache.size, 2);
  const o1 = compileObject({ a: 'value' }, VARS);
  assert.is(compileObject({ a: 'value' }, VARS), o1);
  assert.is.not(compileObject({ b: 'value' }, VARS), o1);
});

test('bad options are reported', () => {
  assert.throws(() => compileExpression('1', { variables: ['ok', 'not-ok'] }), /invalid variable name "not-ok"/);
  assert.throws(() => compileExpression('1', { variables: ['new'] }), /reserved word/);
  assert.throws(() => compileExpression('1', { variables: ['a', 'a'] }), /duplicate variable name a/);
  assert.throws(() => compileExpression('1', { variables: ['$h'] }), /invalid variable name/);
  assert.equal(checkExpression('1', { variables: ['x y'] }), ['invalid variable name "x y": use letters, digits and _']);
  assert.throws(() => compileExpression(5 as unknown as string, VARS), /expression must be a string, got number/);
});

test('checkExpression returns [] for valid expressions', () => {
  assert.equal(checkExpression('value.type == 2 && value.bid.auction % 123 == 0', VARS), []);
  assert.equal(checkExpression('coalesce(value.a, 1) > 0 ? concat(key, "!") : [1, 2]', VARS), []);
});

test.run();
