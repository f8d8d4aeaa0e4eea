// Invalid-topology fixtures (in the style of Arroyo's planner tests): every file in
// test/topologies/invalid/ has ONE deliberate problem and states the error it expects,
// in `# expect-KEY: VALUE` comment lines at its top (YAML) or in a sibling NAME.expect
// file with `KEY: VALUE` lines (JSON, and files that cannot carry comments).
//
//   code     the MaasflowError code
//   line     1-based line of the offending node (a missing field: its parent object); "none" for no line
//   path     JSON-pointer path in the file; empty for errors that have none (syntax errors)
//   message  text the message must contain
//   count    (optional) how many errors the whole file must produce
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError, ValidationErrors, type ErrorCode } from '../../engine/errors.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { loadTopology, parseTopology } from '../../topologies/validate.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'invalid');
const schemas = SchemaRegistry.load();

interface Expectation {
  code: ErrorCode;
  line: number | null;
  path: string | null;
  message: string;
  count: number | null;
}

const KEYS = ['code', 'line', 'path', 'message', 'count'] as const;
type Key = (typeof KEYS)[number];

function isKey(k: string): k is Key {
  return (KEYS as readonly string[]).includes(k);
}

/** Reads `expect-KEY: VALUE` comment lines (YAML header) or `KEY: VALUE` lines (.expect file). */
function readExpectation(file: string, text: string, commented: boolean): Expectation {
  const found = new Map<Key, string>();
  const re = commented ? /^#\s*expect-([a-z]+):[ \t]*(.*)$/ : /^([a-z]+):[ \t]*(.*)$/;
  for (const raw of text.split('\n')) {
    const m = re.exec(raw.trimEnd());
    if (!m) continue;
    const key = m[1]!;
    if (!isKey(key)) throw new Error(`${file}: unknown expectation "${key}"`);
    if (found.has(key)) throw new Error(`${file}: expectation "${key}" given twice`);
    found.set(key, m[2]!.trim());
  }
  for (const key of ['code', 'line', 'path', 'message'] as const) {
    if (!found.has(key)) throw new Error(`${file}: no expectation "${key}"`);
  }
  const line = found.get('line')!;
  const count = found.get('count');
  return {
    code: found.get('code')! as ErrorCode,
    line: line === 'none' ? null : Number(line),
    path: found.get('path') || null,
    message: found.get('message')!,
    count: count === undefined ? null : Number(count),
  };
}

interface Fixture { name: string; file: string; text: string; expect: Expectation }

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const name of fs.readdirSync(DIR).sort()) {
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    const file = path.join(DIR, name);
    const text = fs.readFileSync(file, 'utf8');
    const sidecar = path.join(DIR, `${name.replace(/\.[^.]+$/, '')}.expect`);
    const expect = fs.existsSync(sidecar) ? readExpectation(sidecar, fs.readFileSync(sidecar, 'utf8'), false) : readExpectation(file, text, true);
    out.push({ name, file, text, expect });
  }
  return out;
}

function describeError(e: MaasflowError): string {
  const loc = e.location;
  return `${e.code} line=${loc?.line ?? '-'} path=${loc?.path ?? '-'} message=${JSON.stringify(e.message)}`;
}

function errorsOf(f: Fixture): readonly MaasflowError[] {
  try {
    parseTopology(f.file, f.text, schemas);
  } catch (err) {
    if (err instanceof ValidationErrors) return err.errors;
    throw new Error(`${f.name}: expected ValidationErrors, got ${err instanceof Error ? `${err.name}: ${err.stack ?? err.message}` : String(err)}`);
  }
  throw new Error(`${f.name}: validated, but it should fail with ${f.expect.code}`);
}

const all = fixtures();

test('the fixture set covers YAML and JSON files, each with an expectation', () => {
  assert.ok(all.length >= 30, `only ${all.length} fixtures`);
  assert.ok(all.some((f) => f.name.endsWith('.json')), 'no JSON fixture');
  const sidecars = fs.readdirSync(DIR).filter((n) => n.endsWith('.expect'));
  for (const s of sidecars) {
    const base = s.slice(0, -'.expect'.length);
    assert.ok(all.some((f) => f.name.replace(/\.[^.]+$/, '') === base), `${s} belongs to no fixture`);
  }
});

for (const f of all) {
  test(`invalid/${f.name}: ${f.expect.code}${f.expect.line === null ? '' : ` at line ${f.expect.line}`}`, () => {
    const errors = errorsOf(f);
    const { expect } = f;
    const listing = errors.map((e) => `  ${describeError(e)}`).join('\n');
    const match = errors.find(
      (e) =>
        e.code === expect.code &&
        (e.location?.line ?? null) === expect.line &&
        (e.location?.path || null) === expect.path &&
        e.message.includes(expect.message),
    );
    if (!match) {
      assert.unreachable(
        `${f.name}: no error with code=${expect.code} line=${expect.line ?? '-'} path=${expect.path ?? '-'} message containing ${JSON.stringify(expect.message)}; got:\n${listing}`,
      );
      return;
    }
    if (expect.count !== null) assert.is(errors.length, expect.count, `${f.name}: expected ${expect.count} error(s), got ${errors.length}:\n${listing}`);
    // every error names the file, and the summary lists each one as `file:line:col /path: message [CODE]`
    for (const e of errors) assert.is(e.location?.file, f.file, `${f.name}: error without the file: ${describeError(e)}`);
    assert.ok(match.format().endsWith(`${match.message} [${match.code}]`));
    if (expect.line !== null) assert.ok(match.format().startsWith(`${f.file}:${expect.line}:`), match.format());
    if (expect.path !== null) assert.ok(match.format().includes(` ${expect.path}: `), match.format());
    assert.is(match.retriable, false);
  });
}

test('a topology file that cannot be read is a TOPOLOGY_PARSE error naming the file', () => {
  const missing = path.join(DIR, 'does-not-exist.yaml');
  try {
    loadTopology(missing, schemas);
    assert.unreachable('loaded a missing file');
  } catch (err) {
    if (!(err instanceof ValidationErrors)) throw err;
    assert.is(err.errors.length, 1);
    const e = err.errors[0]!;
    assert.is(e.code, 'TOPOLOGY_PARSE');
    assert.is(e.location?.file, missing);
    assert.match(e.message, /cannot read topology file: ENOENT/);
  }
});

test('ValidationErrors lists every problem of a file, not only the first', () => {
  const text = [
    'name: two-problems',
    'sources:',
    '  - { id: events, type: nexmark, params: { events: 10 } }',
    'operators:',
    '  - { id: a, type: filter, input: events, params: { expr: "price > 1" } }',
    'sinks:',
    '  - { id: out, type: blackhole, input: nowhere }',
  ].join('\n');
  try {
    parseTopology('two.yaml', text, schemas);
    assert.unreachable('validated');
  } catch (err) {
    if (!(err instanceof ValidationErrors)) throw err;
    assert.equal(err.errors.map((e) => [e.code, e.location?.line, e.location?.path]), [
      ['TOPOLOGY_BAD_EXPRESSION', 5, '/operators/0/params/expr'],
      ['TOPOLOGY_UNKNOWN_INPUT', 7, '/sinks/0/input'],
    ]);
    assert.is(err.message, err.errors.map((e) => e.format()).join('\n'));
  }
});

test.run();
