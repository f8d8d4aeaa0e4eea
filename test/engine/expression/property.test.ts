/**
 * Property check: random arithmetic expressions over numeric variables,
 * compiled, agree with a tiny reference evaluator that interprets the jsep AST.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import jsep from 'jsep';
import { compileExpression } from '../../../engine/expression/index.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';

/** The project's seeded PRNG as a () => [0, 1) function. */
function prng(seed: number): () => number {
  const rng = new SplitMix32(seed);
  return () => rng.nextDouble();
}

const VARIABLES = ['a', 'b', 'c', 'd'] as const;

function randomExpression(rnd: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (depth <= 0 || rnd() < 0.25) {
    const r = rnd();
    if (r < 0.5) return pick(VARIABLES);
    if (r < 0.8) return String(Math.floor(rnd() * 20));
    return (rnd() * 100).toFixed(2);
  }
  const r = rnd();
  const sub = (): string => randomExpression(rnd, depth - 1);
  if (r < 0.6) return `${sub()} ${pick(['+', '-', '*', '/', '%'])} ${sub()}`;
  if (r < 0.7) return `(${sub()})`;
  if (r < 0.74) return `-(${sub()})`;
  if (r < 0.78) {
    const s = sub();
    return s.startsWith('-') ? `- ${s}` : `-${s}`; // `--x` would be refused as a decrement
  }
  if (r < 0.86) return `(${sub()} ${pick(['<', '<=', '>', '>=', '==', '!='])} ${sub()} ? ${sub()} : ${sub()})`;
  if (r < 0.93) return `${pick(['abs', 'floor', 'ceil', 'round', 'sqrt'])}(${sub()})`;
  return `${pick(['min', 'max', 'pow'])}(${sub()}, ${sub()})`;
}

type Env = Readonly<Record<string, number>>;
const MATH1: Readonly<Record<string, (x: number) => number>> = { abs: Math.abs, floor: Math.floor, ceil: Math.ceil, round: Math.round, sqrt: Math.sqrt };
const MATH2: Readonly<Record<string, (x: number, y: number) => number>> = { min: Math.min, max: Math.max, pow: Math.pow };

/** The reference: a direct interpreter over the jsep AST (numbers and booleans only). */
function evaluate(node: jsep.Expression, env: Env): number | boolean {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value as number;
    case 'Identifier':
      return env[(node as jsep.Identifier).name]!;
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (u.operator !== '-') throw new Error(`reference: unary ${u.operator}`);
      return -(evaluate(u.argument, env) as number);
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      const l = evaluate(b.left, env) as number;
      const r = evaluate(b.right, env) as number;
      switch (b.operator) {
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return l / r;
        case '%': return l % r;
        case '<': return l < r;
        case '<=': return l <= r;
        case '>': return l > r;
        case '>=': return l >= r;
        case '==': return l === r;
        case '!=': return l !== r;
        default: throw new Error(`reference: operator ${b.operator}`);
      }
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return evaluate(c.test, env) ? evaluate(c.consequent, env) : evaluate(c.alternate, env);
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const name = (call.callee as jsep.Identifier).name;
      const args = call.arguments.map((a) => evaluate(a, env) as number);
      const f1 = MATH1[name];
      if (f1) return f1(args[0]!);
      const f2 = MATH2[name];
      if (f2) return f2(args[0]!, args[1]!);
      throw new Error(`reference: function ${name}`);
    }
    default:
      throw new Error(`reference: ${node.type}`);
  }
}

test('2000 random arithmetic expressions: compiled == reference evaluator', () => {
  const rnd = prng(20240611);
  const values = [0, 1, -1, 2, 3.5, -7.25, 100, 0.001, 1e9];
  let compared = 0;
  for (let i = 0; i < 2000; i++) {
    const expr = randomExpression(rnd, 1 + Math.floor(rnd() * 5));
    const fn = compileExpression(expr, { variables: VARIABLES });
    const ast = jsep(expr);
    for (let j = 0; j < 3; j++) {
      const env: Record<string, number> = {};
      for (const v of VARIABLES) env[v] = rnd() < 0.5 ? values[Math.floor(rnd() * values.length)]! : (rnd() - 0.5) * 1000;
      const got = fn(env['a'], env['b'], env['c'], env['d']);
      const want = evaluate(ast, env);
      assert.ok(Object.is(got, want), `${expr} with ${JSON.stringify(env)}: compiled ${String(got)}, reference ${String(want)}`);
      compared++;
    }
  }
  assert.is(compared, 6000);
});

test.run();
