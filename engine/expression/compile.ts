/**
 * Compiles validated expressions to JavaScript source and then, with
 * `new Function`, to plain functions the JIT can optimise like hand-written
 * code. The generated source never names a global: variables are the
 * function's parameters, built-in functions come from the frozen HELPERS
 * object through the factory's closure, property names are emitted as JSON
 * string keys (`value?.["price"]`), and every member access is optional
 * (`?.`), so a missing field reads as undefined instead of throwing.
 */
import jsep from 'jsep';
import { MaasflowError, type ErrorLocation } from '../errors.ts';
import { HELPERS, type FunctionName } from './functions.ts';
import { RESERVED_NAMES, analyse, type Issue, type Node, type Parsed } from './parse.ts';

export interface CompileOptions {
  /** Allowed root identifiers, in parameter order, e.g. ['value', 'key', 'timestamp']. */
  variables: readonly string[];
  /** Where the expression came from, e.g. 'operators/2/params/expr'; used in error messages. */
  source?: string;
}

export type CompiledExpression = (...args: unknown[]) => unknown;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function locationOf(source: string | undefined): ErrorLocation | undefined {
  if (source === undefined) return undefined;
  return { path: source.startsWith('/') ? source : `/${source}` };
}

function prefixOf(source: string | undefined): string {
  const loc = locationOf(source);
  return loc ? `${loc.path}: ` : '';
}

function formatIssue(expr: string, issue: Issue): string {
  return `expression ${JSON.stringify(expr)} at column ${issue.index + 1}: ${issue.message}`;
}

function formatIssues(expr: string, issues: readonly Issue[]): string {
  const [first, ...rest] = issues;
  if (first === undefined) return `expression ${JSON.stringify(expr)} is invalid`;
  return formatIssue(expr, first) + rest.map((i) => `; also at column ${i.index + 1}: ${i.message}`).join('');
}

function fail(message: string, source: string | undefined): never {
  throw new MaasflowError('TOPOLOGY_BAD_EXPRESSION', message, { location: locationOf(source) });
}

/** Problems with the options themselves (programming errors, not user errors). */
function checkVariables(variables: readonly string[]): string[] {
  if (!Array.isArray(variables)) return ['options.variables must be an array of identifier names'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of variables) {
    if (typeof name !== 'string' || !VARIABLE_NAME.test(name)) problems.push(`invalid variable name ${JSON.stringify(name)}: use letters, digits and _`);
    else if (RESERVED_NAMES.has(name)) problems.push(`invalid variable name ${name}: reserved word`);
    else if (seen.has(name)) problems.push(`duplicate variable name ${name}`);
    seen.add(name);
  }
  return problems;
}

function requireVariables(options: CompileOptions): void {
  const problems = checkVariables(options.variables);
  if (problems.length > 0) fail(problems.join('; '), options.source);
}

function notAString(expr: unknown): string | undefined {
  return typeof expr === 'string' ? undefined : `expression must be a string, got ${expr === null ? 'null' : typeof expr}`;
}

// ---------------------------------------------------------------------------
// Code generation
// ---------------------------------------------------------------------------

function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return String(value);
    return value > 0 ? '(1/0)' : value < 0 ? '(-1/0)' : '(0/0)';
  }
  if (value === true || value === false || value === null) return String(value);
  throw new MaasflowError('TOPOLOGY_BAD_EXPRESSION', `unsupported literal ${String(value)}`);
}

const OPERATOR_OUT: Readonly<Record<string, string>> = Object.freeze({ '==': '===', '!=': '!==' });

/** Source for one validated node; every compound result is parenthesised. */
function generate(node: Node, used: Set<FunctionName>): string {
  switch (node.type) {
    case 'Literal':
      return literal((node as jsep.Literal).value);
    case 'Identifier':
      return (node as jsep.Identifier).name;
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const key = m.computed ? literal((m.property as jsep.Literal).value) : JSON.stringify((m.property as jsep.Identifier).name);
      return `${generate(m.object, used)}?.[${key}]`;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const name = (call.callee as jsep.Identifier).name as FunctionName;
      const args = call.arguments.map((a) => generate(a, used));
      // Lazy, like SQL COALESCE: later arguments are evaluated only if needed.
      if (name === 'coalesce') return `(${args.join(' ?? ')})`;
      used.add(name);
      return `$${name}(${args.join(', ')})`;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      return `(${u.operator}${generate(u.argument, used)})`;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      const op = OPERATOR_OUT[b.operator] ?? b.operator;
      return `(${generate(b.left, used)} ${op} ${generate(b.right, used)})`;
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return `(${generate(c.test, used)} ? ${generate(c.consequent, used)} : ${generate(c.alternate, used)})`;
    }
    case 'ArrayExpression': {
      const a = node as jsep.ArrayExpression;
      return `[${a.elements.map((e) => (e === null ? 'undefined' : generate(e, used))).join(', ')}]`;
    }
    default:
      // validate() refuses everything else; reaching here is a bug.
      throw new MaasflowError('TOPOLOGY_BAD_EXPRESSION', `internal: cannot compile ${node.type}`);
  }
}

type Factory = (helpers: typeof HELPERS) => CompiledExpression;

function instantiate(body: string, used: ReadonlySet<FunctionName>, variables: readonly string[]): CompiledExpression {
  const bindings = [...used].map((name) => `const $${name} = $h.${name};\n`).join('');
  const src = `"use strict";\n${bindings}return function expression(${variables.join(', ')}) {\n  return ${body};\n};`;
  const factory = new Function('$h', src) as Factory;
  return factory(HELPERS);
}

// ---------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------

/** Beyond this many entries the cache starts over, so generated expressions cannot grow it without bound. */
const CACHE_LIMIT = 10_000;
const cache = new Map<string, CompiledExpression>();

function remember(key: string, fn: CompiledExpression): CompiledExpression {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, fn);
  return fn;
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

/**
 * Compiles one expression to `(...variables) => result`. Throws a
 * MaasflowError (TOPOLOGY_BAD_EXPRESSION) naming the column of every problem.
 */
export function compileExpression(expr: string, options: CompileOptions): CompiledExpression {
  requireVariables(options);
  const typeProblem = notAString(expr);
  if (typeProblem !== undefined) fail(typeProblem, options.source);
  const key = `e${options.variables.join(',')}\n${expr}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const outcome = analyse(expr, options.variables);
  if (!outcome.ok) fail(formatIssues(expr, outcome.issues), options.source);
  const used = new Set<FunctionName>();
  const body = generate(outcome.parsed.ast, used);
  return remember(key, instantiate(body, used, options.variables));
}

/**
 * One function returning a fresh object with the given fields, e.g.
 * { a: 'value.x', b: 'key' } -> (value, key, timestamp) => ({ a: value?.x, b: key }).
 * Keys keep the given order, except that integer-like keys come first, as in
 * every JavaScript object.
 */
export function compileObject(fields: Readonly<Record<string, string>>, options: CompileOptions): CompiledExpression {
  requireVariables(options);
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) fail('fields must be a mapping of field name to expression', options.source);
  const entries = Object.entries(fields);
  const key = `o${options.variables.join(',')}\n${JSON.stringify(entries)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const problems: string[] = [];
  const parsed: Array<readonly [string, Parsed]> = [];
  for (const [name, expr] of entries) {
    if (name === '__proto__') {
      problems.push(`field "__proto__": this field name is not allowed`);
      continue;
    }
    const typeProblem = notAString(expr);
    if (typeProblem !== undefined) {
      problems.push(`field ${JSON.stringify(name)}: ${typeProblem}`);
      continue;
    }
    const outcome = analyse(expr, options.variables);
    if (outcome.ok) parsed.push([name, outcome.parsed]);
    else problems.push(`field ${JSON.stringify(name)}: ${formatIssues(expr, outcome.issues)}`);
  }
  if (problems.length > 0) fail(problems.join('\n'), options.source);
  const used = new Set<FunctionName>();
  const props = parsed.map(([name, p]) => `${JSON.stringify(name)}: ${generate(p.ast, used)}`);
  return remember(key, instantiate(`{ ${props.join(', ')} }`, used, options.variables));
}

/**
 * Parse + validate only (for `maasflow validate`): [] when the expression is
 * fine, otherwise one message per problem, each with its column, prefixed by
 * `/source: ` when options.source is given.
 */
export function checkExpression(expr: string, options: CompileOptions): string[] {
  const prefix = prefixOf(options.source);
  const variableProblems = checkVariables(options.variables);
  if (variableProblems.length > 0) return variableProblems.map((m) => prefix + m);
  const typeProblem = notAString(expr);
  if (typeProblem !== undefined) return [prefix + typeProblem];
  const outcome = analyse(expr, options.variables);
  return outcome.ok ? [] : outcome.issues.map((issue) => prefix + formatIssue(expr, issue));
}

/** For tests: the number of cached functions, and a way to empty the cache. */
export const expressionCache = {
  get size(): number {
    return cache.size;
  },
  clear(): void {
    cache.clear();
  },
};
