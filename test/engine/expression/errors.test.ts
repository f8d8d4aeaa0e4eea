import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { compileExpression, checkExpression } from '../../../engine/expression/index.ts';

const VARS = { variables: ['value', 'key', 'timestamp'] } as const;

/** [expression, 1-based column of the problem, text the message must contain] */
const FORBIDDEN: ReadonlyArray<readonly [string, number, string]> = [
  ['value.price >', 14, 'expected expression after >'],
  ['value.a = 1', 9, 'assignment (=) is not allowed'],
  ['value.a += 1', 9, 'assignment (+=) is not allowed'],
  ['value.a ??= 1', 9, 'assignment (??=) is not allowed'],
  ['x => x * 2', 3, 'arrow functions are not allowed'],
  ['(x) => x', 5, 'arrow functions are not allowed'],
  ['function (a) { return a }', 1, 'function expressions are not allowed'],
  ['new Date()', 1, "'new' is not allowed"],
  ['value && new Date()', 10, "'new' is not allowed"],
  ['this.x', 1, "'this' is not allowed"],
  ['typeof value == "string"', 1, "'typeof' is not allowed"],
  ['delete value.x', 1, "'delete' is not allowed"],
  ['"a" in value', 5, "'in' is not allowed"],
  ['value.a; value.b', 10, 'multiple expressions are not allowed'],
  ['value.a, value.b', 10, 'multiple expressions are not allowed'],
  ['value.a value.b', 9, 'multiple expressions are not allowed'],
  ['(value.a, value.b)', 11, 'sequence expressions (a, b) are not allowed'],
  ['value.foo()', 7, 'method calls are not allowed (value.foo(...))'],
  ['value.name.toUpperCase()', 12, 'method calls are not allowed (value.name.toUpperCase(...))'],
  ['key["x"]()', 5, 'method calls are not allowed'],
  ['(value)(1)', 2, 'value is a variable and cannot be called'],
  ['[value](1)', 1, 'only built-in functions can be called'],
  ['now()', 1, 'now() is not allowed: expressions must be deterministic'],
  ['value.t > now()', 11, 'now() is not allowed'],
  ['random()', 1, 'random() is not allowed'],
  ['eval("1")', 1, 'unknown function eval()'],
  ['foo', 1, 'unknown identifier foo; allowed: value, key, timestamp'],
  ['value.a + window', 11, 'unknown identifier window; allowed: value, key, timestamp'],
  ['Math.abs(1)', 6, 'method calls are not allowed'],
  ['len', 1, 'unknown identifier len; allowed: value, key, timestamp (len is a function'],
  ['value.__proto__', 7, 'access to property __proto__ is not allowed'],
  ['value.constructor', 7, 'access to property constructor is not allowed'],
  ['value.a.prototype', 9, 'access to property prototype is not allowed'],
  ['value["__proto__"]', 7, 'access to property __proto__ is not allowed'],
  ["value['constructor']", 7, 'access to property constructor is not allowed'],
  ['value[key]', 7, 'computed member access needs a literal index'],
  ['value[1 + 1]', 7, 'computed member access needs a literal index'],
  ['value | 1', 7, 'bitwise operator | is not allowed'],
  ['value & 1', 7, 'bitwise operator & is not allowed'],
  ['value ^ 1', 7, 'bitwise operator ^ is not allowed'],
  ['value << 1', 7, 'bitwise operator << is not allowed'],
  ['value >>> 1', 7, 'bitwise operator >>> is not allowed'],
  ['1 + (value   ^ 1)', 14, 'bitwise operator ^ is not allowed'],
  ['~value', 1, 'unary operator ~ is not allowed'],
  ['+value', 1, 'unary + is not allowed; use number(x)'],
  ['value ** 2', 7, 'use pow(base, exponent)'],
  ['value ?? 2', 7, 'use coalesce(a, b)'],
  ['value++', 6, 'increment (++) is not allowed'],
  ['--value', 1, 'decrement (--) is not allowed'],
  ['{ a: 1 }', 1, 'object literals and blocks are not supported'],
  ['`x${value}`', 1, 'template literals are not supported'],
  ['[1, , 2]', 1, 'empty array element'],
  ['', 1, 'empty expression'],
  ['"unclosed', 10, 'unclosed quote'],
  ['(value + 1', 11, 'unclosed ('],
  ['value +', 8, 'expected expression after +'],
  ['-', 2, 'expected expression after unary operator'],
  ['1abc', 2, 'variable names cannot start with a number'],
];

test('every forbidden construct: TOPOLOGY_BAD_EXPRESSION naming the construct and its column', () => {
  for (const [expr, column, text] of FORBIDDEN) {
    let caught: unknown;
    try {
      compileExpression(expr, { ...VARS, source: 'operators/2/params/expr' });
    } catch (err) {
      caught = err;
    }
    assert.instance(caught, MaasflowError, expr);
    const e = caught as MaasflowError;
    assert.is(e.code, 'TOPOLOGY_BAD_EXPRESSION', expr);
    assert.is(e.location?.path, '/operators/2/params/expr', expr);
    const head = `expression ${JSON.stringify(expr)} at column ${column}: `;
    assert.ok(e.message.startsWith(head), `${expr}\n  got:  ${e.message}\n  want: ${head}...`);
    assert.ok(e.message.includes(text), `${expr}\n  got:  ${e.message}\n  want: ...${text}...`);

    const messages = checkExpression(expr, VARS);
    assert.ok(messages.length >= 1, expr);
    assert.ok(messages[0]!.startsWith(head), `${expr}: ${messages[0]}`);
  }
});

test('the example from the brief reads as specified', () => {
  try {
    compileExpression('value.price >', VARS);
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, 'expression "value.price >" at column 14: expected expression after >');
  }
  const e = (() => {
    try {
      compileExpression('value.price >', { ...VARS, source: 'operators/2/params/expr' });
    } catch (err) {
      return err as MaasflowError;
    }
    return undefined;
  })();
  assert.is(e?.format(), '/operators/2/params/expr: expression "value.price >" at column 14: expected expression after > [TOPOLOGY_BAD_EXPRESSION]');
});

test('checkExpression reports every problem, in reading order, prefixed by the source', () => {
  const messages = checkExpression('foo + value.__proto__ + bar(1)', { ...VARS, source: 'operators/0/params/expr' });
  assert.equal(messages, [
    '/operators/0/params/expr: expression "foo + value.__proto__ + bar(1)" at column 1: unknown identifier foo; allowed: value, key, timestamp',
    '/operators/0/params/expr: expression "foo + value.__proto__ + bar(1)" at column 13: access to property __proto__ is not allowed',
    `/operators/0/params/expr: expression "foo + value.__proto__ + bar(1)" at column 25: unknown function bar(); available: abs, floor, ceil, round, min, max, sqrt, pow, log, exp, len, lower, upper, concat, contains, startsWith, split, substr, number, string, coalesce, hash`,
  ]);
});

test('keywords and operator look-alikes inside strings and property names are fine', () => {
  const f = compileExpression('value.new + value.this + value.in + " new => a = b ++ { } ` "', VARS);
  assert.is(f({ new: 'n', this: 't', in: 'i' }), 'nti new => a = b ++ { } ` ');
  assert.is(compileExpression('value.function', VARS)({ function: 1 }), 1);
  assert.is(compileExpression('value <= 2 && value >= 1 && value !== 3 && value != 4', VARS)(2), true);
  assert.is(compileExpression('1e-3 + 2E+2', VARS)(), 200.001);
  assert.is(compileExpression('value - -1', VARS)(1), 2);
});

test('no escape through the prototype chain', () => {
  const probes = [
    'value.constructor.constructor("return process")()',
    'value["constructor"]["constructor"]("return 1")()',
    'value.__proto__.polluted',
    'key.constructor',
    '[].constructor',
    '"".constructor',
    'value.toString()',
    'value.valueOf()',
  ];
  for (const p of probes) {
    assert.throws(() => compileExpression(p, VARS), (err: unknown) => err instanceof MaasflowError && err.code === 'TOPOLOGY_BAD_EXPRESSION', p);
  }
});

test.run();
