/**
 * Parsing and validation of topology expressions: a lexical pre-scan for
 * constructs that jsep would misparse or report obscurely (assignments, arrow
 * functions, keywords such as `new`), a jsep parse that remembers where each
 * node starts, and a whitelist walk over the AST. Every problem carries the
 * 0-based index of the offending character.
 */
import jsep from 'jsep';
import { FUNCTIONS, FUNCTION_NAMES, NONDETERMINISTIC, isFunctionName } from './functions.ts';

export type Node = jsep.Expression;

export interface Issue {
  /** 0-based character index in the expression. */
  readonly index: number;
  readonly message: string;
}

export interface Parsed {
  readonly expr: string;
  readonly ast: Node;
  readonly starts: ReadonlyMap<Node, number>;
}

// ---------------------------------------------------------------------------
// jsep with node positions
// ---------------------------------------------------------------------------

interface JsepInstance {
  index: number;
  readonly expr: string;
  gobbleSpaces(): void;
  gobbleToken(): Node | false | undefined;
  gobbleIdentifier(): Node;
  gobbleTokenProperty(node: Node): Node;
  parse(): Node;
}
type JsepConstructor = new (expr: string) => JsepInstance;

const JsepBase: unknown = (jsep as unknown as { Jsep?: unknown }).Jsep;
if (typeof JsepBase !== 'function') throw new Error('jsep does not export its Jsep class; expression parsing needs jsep v1.x');

/**
 * A per-parse subclass (no global jsep hooks are added, so other users of
 * jsep are unaffected) that records where each token and identifier starts.
 */
class PositionedJsep extends (JsepBase as JsepConstructor) {
  readonly starts = new Map<Node, number>();

  /** Starts of the tokens being gobbled, innermost last. */
  private readonly tokenStarts: number[] = [];

  override gobbleToken(): Node | false | undefined {
    this.gobbleSpaces();
    const start = this.index;
    this.tokenStarts.push(start);
    try {
      const node = super.gobbleToken();
      // The outermost token wins: `(a + b)` starts at `(`.
      if (node) this.starts.set(node, start);
      return node;
    } finally {
      this.tokenStarts.pop();
    }
  }

  override gobbleTokenProperty(node: Node): Node {
    // The base of `[1](2)` or `"s".x` is not returned by gobbleToken itself.
    const start = this.tokenStarts[this.tokenStarts.length - 1];
    if (!this.starts.has(node) && start !== undefined) this.starts.set(node, start);
    return super.gobbleTokenProperty(node);
  }

  override gobbleIdentifier(): Node {
    const start = this.index;
    const node = super.gobbleIdentifier();
    this.starts.set(node, start);
    return node;
  }
}

/** Where a node starts: recorded, or the start of its leftmost child. */
export function startOf(node: Node, starts: ReadonlyMap<Node, number>): number {
  const recorded = starts.get(node);
  if (recorded !== undefined) return recorded;
  for (const key of ['left', 'object', 'callee', 'test', 'argument']) {
    const child = node[key];
    if (isNode(child)) return startOf(child, starts);
  }
  for (const key of ['body', 'expressions', 'elements']) {
    const list = node[key];
    if (Array.isArray(list)) {
      const first = list.find(isNode);
      if (first) return startOf(first, starts);
    }
  }
  return 0;
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

// ---------------------------------------------------------------------------
// Lexical pre-scan
// ---------------------------------------------------------------------------

const KEYWORD_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  new: "'new' is not allowed",
  this: "'this' is not allowed",
  function: 'function expressions are not allowed',
  class: 'class expressions are not allowed',
  typeof: "'typeof' is not allowed",
  instanceof: "'instanceof' is not allowed",
  in: "'in' is not allowed (use contains(haystack, needle))",
  delete: "'delete' is not allowed",
  void: "'void' is not allowed",
  var: 'declarations (var) are not allowed',
  let: 'declarations (let) are not allowed',
  const: 'declarations (const) are not allowed',
  return: "'return' is not allowed; write just the expression",
  async: "'async' is not allowed",
  await: "'await' is not allowed",
  yield: "'yield' is not allowed",
  import: "'import' is not allowed",
  export: "'export' is not allowed",
  super: "'super' is not allowed",
  if: "statements (if) are not allowed; use the ternary c ? a : b",
  else: "statements (else) are not allowed; use the ternary c ? a : b",
  for: 'statements (for) are not allowed',
  while: 'statements (while) are not allowed',
  do: 'statements (do) are not allowed',
  switch: 'statements (switch) are not allowed',
  case: 'statements (case) are not allowed',
  throw: 'statements (throw) are not allowed',
  try: 'statements (try) are not allowed',
  catch: 'statements (catch) are not allowed',
  finally: 'statements (finally) are not allowed',
  with: 'statements (with) are not allowed',
  debugger: 'statements (debugger) are not allowed',
});

/** Names that can never be variables: keywords and jsep literals. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(KEYWORD_MESSAGES),
  'true', 'false', 'null', 'undefined', 'NaN', 'Infinity', 'arguments', 'eval',
  'enum', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'static',
]);

// Longest first, so `>>>=` is not read as `>>` `>=`.
const OPERATORS = [
  '>>>=', '===', '!==', '**=', '<<=', '>>=', '&&=', '||=', '??=', '>>>',
  '=>', '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '++', '--', '**', '&&', '||', '??', '<<', '>>',
];
const ASSIGNMENTS = new Set(['=', '>>>=', '**=', '<<=', '>>=', '&&=', '||=', '??=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=']);

const isWordStart = (c: string): boolean => /[A-Za-z_$]/.test(c);
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Finds constructs that are refused outright, skipping string literals and property names. */
export function prescan(expr: string): Issue[] {
  const issues: Issue[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      i++;
      while (i < expr.length && expr[i] !== c) i += expr[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c >= '0' && c <= '9') {
      // Numbers, including 1e-5 and 1.5e+3.
      while (i < expr.length && (isWordPart(expr[i]!) || expr[i] === '.' || ((expr[i] === '-' || expr[i] === '+') && /[eE]/.test(expr[i - 1]!)))) i++;
      continue;
    }
    if (isWordStart(c)) {
      const start = i;
      while (i < expr.length && isWordPart(expr[i]!)) i++;
      const word = expr.slice(start, i);
      let before = start - 1;
      while (before >= 0 && isSpace(expr[before])) before--;
      const isProperty = before >= 0 && expr[before] === '.';
      const message = KEYWORD_MESSAGES[word];
      if (!isProperty && message !== undefined && Object.prototype.hasOwnProperty.call(KEYWORD_MESSAGES, word)) {
        issues.push({ index: start, message });
      }
      continue;
    }
    if (c === '`') {
      issues.push({ index: i, message: 'template literals are not supported; use concat(a, b, ...)' });
      break; // the rest is inside the template
    }
    if (c === '{' || c === '}') {
      issues.push({ index: i, message: 'object literals and blocks are not supported' });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => expr.startsWith(o, i)) ?? (c === '=' ? '=' : undefined);
    if (op !== undefined) {
      if (op === '=>') issues.push({ index: i, message: 'arrow functions are not allowed' });
      else if (ASSIGNMENTS.has(op)) issues.push({ index: i, message: `assignment (${op}) is not allowed${op === '=' ? '; use == to compare' : ''}` });
      else if (op === '++') issues.push({ index: i, message: 'increment (++) is not allowed' });
      else if (op === '--') issues.push({ index: i, message: 'decrement (--) is not allowed; write a - -b with a space for subtracting a negation' });
      i += op.length;
      continue;
    }
    i++;
  }
  // One report per kind of problem: `{ ... }` is one problem, not two.
  const seen = new Set<string>();
  return issues.filter((issue) => {
    if (seen.has(issue.message)) return false;
    seen.add(issue.message);
    return true;
  });
}

// ---------------------------------------------------------------------------
// Parse
// ---------------------------------------------------------------------------

function describeParseError(description: string): string {
  if (description === 'missing unaryOp argument') return 'expected expression after unary operator';
  return description.charAt(0).toLowerCase() + description.slice(1);
}

export type ParseOutcome = { ok: true; parsed: Parsed } | { ok: false; issues: Issue[] };

export function parse(expr: string): ParseOutcome {
  const early = prescan(expr);
  if (early.length > 0) return { ok: false, issues: early };
  const parser = new PositionedJsep(expr);
  try {
    const ast = parser.parse();
    return { ok: true, parsed: { expr, ast, starts: parser.starts } };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    if (err instanceof RangeError) return { ok: false, issues: [{ index: parser.index, message: 'expression is nested too deeply' }] };
    const detail = err as Error & { index?: unknown; description?: unknown };
    const index = typeof detail.index === 'number' ? detail.index : parser.index;
    const description = typeof detail.description === 'string' ? detail.description : err.message;
    return { ok: false, issues: [{ index, message: describeParseError(description) }] };
  }
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

export const BLOCKED_PROPERTIES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const BINARY_OPERATORS: ReadonlySet<string> = new Set([
  '+', '-', '*', '/', '%', '==', '!=', '===', '!==', '<', '<=', '>', '>=', '&&', '||',
]);

const BINARY_REFUSALS: Readonly<Record<string, string>> = Object.freeze({
  '**': 'operator ** is not allowed; use pow(base, exponent)',
  '??': 'operator ?? is not allowed; use coalesce(a, b)',
});

/** Node types jsep plugins (registered elsewhere) could produce; all refused. */
const NODE_REFUSALS: Readonly<Record<string, string>> = Object.freeze({
  ThisExpression: "'this' is not allowed",
  ObjectExpression: 'object literals are not supported',
  ArrowFunctionExpression: 'arrow functions are not allowed',
  FunctionExpression: 'function expressions are not allowed',
  AssignmentExpression: 'assignments are not allowed',
  UpdateExpression: 'increment/decrement is not allowed',
  NewExpression: "'new' is not allowed",
  TemplateLiteral: 'template literals are not supported; use concat(a, b, ...)',
  TaggedTemplateExpression: 'tagged templates are not allowed',
  SpreadElement: 'spread (...) is not allowed',
});

function refusalFor(type: string): string {
  return Object.prototype.hasOwnProperty.call(NODE_REFUSALS, type) ? NODE_REFUSALS[type]! : `${type} is not allowed`;
}

/** Renders a member chain like `value.foo` for messages; other nodes as `expression`. */
function renderCallee(node: Node): string {
  if (node.type === 'Identifier') return (node as jsep.Identifier).name;
  if (node.type === 'MemberExpression') {
    const m = node as jsep.MemberExpression;
    const property = m.property;
    const suffix = !m.computed && property.type === 'Identifier'
      ? `.${(property as jsep.Identifier).name}`
      : property.type === 'Literal' ? `[${(property as jsep.Literal).raw}]` : '[...]';
    return renderCallee(m.object) + suffix;
  }
  return '(...)';
}

/** Checks the AST against the whitelist; returns every problem found. */
export function validate(parsed: Parsed, variables: readonly string[]): Issue[] {
  const { starts } = parsed;
  const issues: Issue[] = [];
  const allowed = new Set(variables);
  const at = (node: Node, message: string): void => {
    issues.push({ index: startOf(node, starts), message });
  };

  const visit = (node: Node): void => {
    switch (node.type) {
      case 'Literal': {
        const v = (node as jsep.Literal).value;
        if (!(v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) at(node, `literal ${String((node as jsep.Literal).raw)} is not supported`);
        return;
      }
      case 'Identifier': {
        const name = (node as jsep.Identifier).name;
        if (!allowed.has(name)) {
          const hint = isFunctionName(name) ? ` (${name} is a function: call it as ${FUNCTIONS[name].signature})` : '';
          at(node, `unknown identifier ${name}; allowed: ${variables.join(', ')}${hint}`);
        }
        return;
      }
      case 'MemberExpression': {
        const m = node as jsep.MemberExpression;
        visit(m.object);
        const property = m.property;
        if (!m.computed) {
          const name = (property as jsep.Identifier).name;
          if (BLOCKED_PROPERTIES.has(name)) at(property, `access to property ${name} is not allowed`);
        } else if (property.type !== 'Literal' || !(typeof (property as jsep.Literal).value === 'string' || typeof (property as jsep.Literal).value === 'number')) {
          at(property, 'computed member access needs a literal index, e.g. a[0] or a["x"]');
        } else {
          const key = String((property as jsep.Literal).value);
          if (BLOCKED_PROPERTIES.has(key)) at(property, `access to property ${key} is not allowed`);
        }
        return;
      }
      case 'CallExpression': {
        const call = node as jsep.CallExpression;
        const callee = call.callee;
        if (callee.type === 'Identifier') {
          const name = (callee as jsep.Identifier).name;
          if (Object.prototype.hasOwnProperty.call(NONDETERMINISTIC, name)) {
            at(callee, NONDETERMINISTIC[name]!);
          } else if (!isFunctionName(name)) {
            at(callee, allowed.has(name)
              ? `${name} is a variable and cannot be called; only built-in functions can be called, by name`
              : `unknown function ${name}(); available: ${FUNCTION_NAMES.join(', ')}`);
          } else {
            const spec = FUNCTIONS[name];
            const n = call.arguments.length;
            if (n < spec.min || n > spec.max) {
              const expected = spec.min === spec.max ? `${spec.min}` : spec.max === Number.POSITIVE_INFINITY ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
              at(callee, `${name}() takes ${expected} argument${/\b1$/.test(expected) ? '' : 's'}, got ${n}: ${spec.signature}`);
            }
          }
        } else if (callee.type === 'MemberExpression') {
          const property = (callee as jsep.MemberExpression).property;
          at(property, `method calls are not allowed (${renderCallee(callee)}(...)); only built-in functions can be called, by name: ${FUNCTION_NAMES.join(', ')}`);
        } else {
          at(callee, 'only built-in functions can be called, by name');
        }
        for (const arg of call.arguments) visit(arg);
        return;
      }
      case 'UnaryExpression': {
        const u = node as jsep.UnaryExpression;
        if (u.operator === '+') at(node, 'unary + is not allowed; use number(x)');
        else if (u.operator !== '-' && u.operator !== '!') at(node, `unary operator ${u.operator} is not allowed`);
        visit(u.argument);
        return;
      }
      case 'BinaryExpression': {
        const b = node as jsep.BinaryExpression;
        visit(b.left);
        if (!BINARY_OPERATORS.has(b.operator)) {
          // The operator sits right before the right operand (and any spaces).
          let p = startOf(b.right, starts);
          while (p > 0 && isSpace(parsed.expr[p - 1])) p--;
          const index = Math.max(0, p - b.operator.length);
          const refusal = BINARY_REFUSALS[b.operator];
          const bitwise = ['|', '&', '^', '<<', '>>', '>>>'].includes(b.operator);
          issues.push({
            index,
            message: refusal ?? (bitwise ? `bitwise operator ${b.operator} is not allowed` : `operator ${b.operator} is not allowed`),
          });
        }
        visit(b.right);
        return;
      }
      case 'ConditionalExpression': {
        const c = node as jsep.ConditionalExpression;
        visit(c.test);
        visit(c.consequent);
        visit(c.alternate);
        return;
      }
      case 'ArrayExpression': {
        const a = node as jsep.ArrayExpression;
        for (const el of a.elements) {
          if (el === null) at(node, 'empty array element (holes like [1, , 2]) is not allowed');
          else visit(el);
        }
        return;
      }
      case 'Compound': {
        const body = (node as jsep.Compound).body;
        if (body.length === 0) issues.push({ index: 0, message: 'empty expression' });
        else if (body.length > 1) at(body[1]!, 'multiple expressions are not allowed; write one expression (combine conditions with && or ||)');
        for (const part of body) visit(part);
        return;
      }
      case 'SequenceExpression': {
        const list = (node as jsep.SequenceExpression).expressions;
        at(list[1] ?? node, 'sequence expressions (a, b) are not allowed');
        for (const part of list) visit(part);
        return;
      }
      default:
        at(node, refusalFor(node.type));
    }
  };

  visit(parsed.ast);
  // Report in reading order.
  return issues.sort((x, y) => x.index - y.index);
}

/** Parse + validate. */
export function analyse(expr: string, variables: readonly string[]): ParseOutcome {
  const outcome = parse(expr);
  if (!outcome.ok) return outcome;
  const issues = validate(outcome.parsed, variables);
  return issues.length > 0 ? { ok: false, issues } : outcome;
}
