// The `maasflow` command line, run as a user runs it: `node bin/maasflow.js ...` in a child process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INVALID = path.join('test', 'topologies', 'invalid');

interface Result { status: number | null; stdout: string; stderr: string }

function cli(...args: string[]): Result {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function show(r: Result): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** `error: FILE:LINE[:COL] /path: message [CODE]` (path absent for syntax errors). */
const ERROR_LINE = /^error: (?<file>[^:\s]+):(?<line>\d+)(?::(?<col>\d+))?(?: (?<path>\/\S*))?: (?<message>.+) \[(?<code>[A-Z_]+)\]$/;

function errorLines(stderr: string): RegExpExecArray[] {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  return lines.map((l) => {
    const m = ERROR_LINE.exec(l);
    if (!m) throw new Error(`stderr line is not "error: FILE:LINE /path: message [CODE]": ${JSON.stringify(l)}\nall of stderr:\n${stderr}`);
    return m;
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not JSON (${(err as Error).message}):\n${text}`);
  }
  if (!isRecord(value)) throw new Error(`${what} is not a JSON object:\n${text}`);
  return value;
}

/** Every object inside `value` has its keys in sorted order (path of the first that does not, or null). */
function unsortedAt(value: unknown, where = 'metric'): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unsortedAt(value[i], `${where}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (!isRecord(value)) return null;
  const keys = Object.keys(value);
  if (keys.join('\u0000') !== [...keys].sort().join('\u0000')) return `${where}: ${keys.join(', ')}`;
  for (const k of keys) {
    const bad = unsortedAt(value[k], `${where}.${k}`);
    if (bad) return bad;
  }
  return null;
}

function checkReport(report: Record<string, unknown>, command: string, ok: boolean): Record<string, unknown> {
  assert.equal(Object.keys(report), ['schema', 'command', 'metric', 'uncertainty', 'timing', 'status', 'provenance']);
  assert.is(report.schema, 'maasflow.metrics/1');
  assert.is(report.command, command);
  const { metric, timing, status, provenance } = report;
  if (!isRecord(metric) || !isRecord(timing) || !isRecord(status) || !isRecord(provenance)) throw new Error(`malformed report: ${JSON.stringify(report)}`);
  assert.is(unsortedAt(metric), null, 'metric keys are not sorted');
  assert.equal(Object.keys(provenance), ['version', 'commit', 'node', 'threads', 'device', 'platform']);
  const pkg = parseJson(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'), 'package.json');
  assert.is(provenance.version, pkg.version);
  assert.type(provenance.commit, 'string');
  assert.is(provenance.node, process.version);
  assert.type(provenance.threads, 'number');
  assert.type(provenance.device, 'string');
  assert.is(provenance.platform, `${process.platform}-${process.arch}`);
  assert.equal(Object.keys(timing), ['started_at', 'finished_at', 'wall_ms', 'cpu_ms']);
  assert.type(timing.wall_ms, 'number');
  assert.is(status.ok, ok);
  return metric;
}

// ---------------------------------------------------------------------------------------------
// validate

test('validate: a good file exits 0 and prints ok with the node counts', () => {
  const r = cli('validate', 'topologies/nexmark/q7.yaml');
  assert.is(r.status, 0, show(r));
  assert.is(r.stdout, 'topologies/nexmark/q7.yaml: ok (1 sources, 3 operators, 1 sinks)\n');
  assert.is(r.stderr, '');
});

test('validate: a bad file exits 2 and prints "error: FILE:LINE /path: message [CODE]" on stderr', () => {
  const file = path.join(INVALID, 'unknown-operator.yaml');
  const r = cli('validate', file);
  assert.is(r.status, 2, show(r));
  assert.is(r.stdout, '');
  const [e, ...rest] = errorLines(r.stderr);
  assert.is(rest.length, 0, r.stderr);
  assert.is(e!.groups!.file, file);
  assert.is(e!.groups!.line, '16');
  assert.is(e!.groups!.path, '/operators/0/type');
  assert.match(e!.groups!.message!, /^unknown operator type "mapp"; known: .*\bmap\b/);
  assert.is(e!.groups!.code, 'TOPOLOGY_UNKNOWN_OPERATOR');
});

test('validate: every problem of a file is listed, one line each, in file order', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-cli-'));
  try {
    const file = path.join(dir, 'three-problems.yaml');
    fs.writeFileSync(
      file,
      [
        'name: three-problems',
        'sources:',
        '  - { id: events, type: nexmark, params: { events: 10, speed: 3 } }',
        'operators:',
        '  - { id: a, type: filter, input: events, params: { expr: "now() > 0" } }',
        'sinks:',
        '  - { id: out, type: blackhole, input: a.late }',
        '',
      ].join('\n'),
    );
    const r = cli('validate', file);
    assert.is(r.status, 2, show(r));
    const got = errorLines(r.stderr).map((m) => [m.groups!.file, m.groups!.line, m.groups!.path, m.groups!.code]);
    assert.equal(got, [
      [file, '3', '/sources/0/params/speed', 'TOPOLOGY_BAD_PARAMS'],
      [file, '5', '/operators/0/params/expr', 'TOPOLOGY_BAD_EXPRESSION'],
      [file, '7', '/sinks/0/input', 'TOPOLOGY_UNKNOWN_INPUT'],
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('validate: a YAML syntax error names the file and the line', () => {
  const file = path.join(INVALID, 'yaml-syntax.yaml');
  const r = cli('validate', file);
  assert.is(r.status, 2, show(r));
  const first = r.stderr.split('\n')[0]!;
  assert.match(first, /^error: \S+:10(:\d+)?: Unexpected flow-map-end token .*\[TOPOLOGY_PARSE\]$/, `first stderr line: ${first}`);
});

test('validate: a missing file exits 2 with TOPOLOGY_PARSE', () => {
  const r = cli('validate', 'topologies/no-such-file.yaml');
  assert.is(r.status, 2, show(r));
  assert.match(r.stderr, /^error: topologies\/no-such-file\.yaml: cannot read topology file: ENOENT.* \[TOPOLOGY_PARSE\]\n$/);
});

test('validate --json-metrics -: the report says ok=false and carries the error lines', () => {
  const r = cli('validate', path.join(INVALID, 'duplicate-id.yaml'), '--json-metrics', '-');
  assert.is(r.status, 2, show(r));
  const report = parseJson(r.stdout, 'stdout');
  const metric = checkReport(report, 'validate', false);
  assert.equal(metric, {});
  const status = report.status as Record<string, unknown>;
  assert.equal(status.errors, r.stderr.trimEnd().split('\n'));
});

// ---------------------------------------------------------------------------------------------
// describe

test('describe: prints the nodes with keys and windows, and the edges', () => {
  const r = cli('describe', 'topologies/nexmark/q7.yaml');
  assert.is(r.status, 0, show(r));
  const lines = r.stdout.split('\n');
  assert.is(lines[0], 'topology nexmark-q7 (parallelism 1)');
  assert.ok(lines.includes('nodes:') && lines.includes('edges:'), r.stdout);
  assert.ok(lines.some((l) => /^  source\s+events\s+nexmark\s+x1\s+not keyed/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^  operator\s+highest\s+window\s+x1\s+not keyed; window tumbling 10s, lateness \S+; outputs out, late$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^  sink\s+out\s+blackhole\s+x1/.test(l)), r.stdout);
  for (const edge of ['events -> bids', 'bids -> highest', 'highest -> result', 'result -> out']) assert.ok(lines.includes(`  ${edge}`), `no edge ${edge}:\n${r.stdout}`);
  assert.is(r.stderr, '');
});

test('describe --json: prints the description as parseable JSON', () => {
  const r = cli('describe', 'topologies/nexmark/q5.yaml', '--json');
  assert.is(r.status, 0, show(r));
  const d = parseJson(r.stdout, 'describe --json');
  assert.equal(Object.keys(d), ['name', 'parallelism', 'nodes', 'edges']);
  assert.is(d.name, 'nexmark-q5');
  const nodes = d.nodes as Record<string, unknown>[];
  const edges = d.edges as Record<string, unknown>[];
  assert.equal(nodes.map((n) => n.id), ['events', 'bids', 'by-auction', 'counts', 'per-window', 'hottest', 'result', 'out']);
  const counts = nodes.find((n) => n.id === 'counts')!;
  assert.is(counts.keyedBy, 'value.bid.auction');
  assert.match(String(counts.window), /^hopping 10s every 2s, lateness /);
  assert.is(edges.length, 7);
  assert.equal(edges[0], { from: 'events', port: 'out', to: 'bids' });
});

test('describe: a bad file exits 2 like validate', () => {
  const r = cli('describe', path.join(INVALID, 'cycle-3.yaml'));
  assert.is(r.status, 2, show(r));
  assert.is(r.stdout, '');
  const [e] = errorLines(r.stderr);
  assert.is(e!.groups!.code, 'TOPOLOGY_CYCLE');
});

// ---------------------------------------------------------------------------------------------
// run: a small topology (20,000 Nexmark events) into a JSON Lines file, then resume and --fresh

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-cli-run-'));
const topology = path.join(tmp, 'small.yaml');
const output = path.join(tmp, 'out', 'windows.jsonl');
const dataDir = path.join(tmp, 'data');
const metricsFile = path.join(tmp, 'm.json');
let firstOutput = '';
let firstSinkRecords = -1;

fs.writeFileSync(
  topology,
  `# written by test/cli/cli.test.ts
name: cli-small
checkpoint: { interval: 100ms }
runtime: { batchSize: 1000 }
sources:
  - id: events
    type: nexmark
    params: { events: 20000, seed: 7 }
operators:
  - id: bids
    type: filter
    input: events
    params: { expr: "value.type == 2" }
  - id: per-window
    type: window
    input: bids
    params:
      window: { type: tumbling, size: 100ms }
      aggregations:
        bids: { fn: count }
        top: { fn: max, expr: value.bid.price }
sinks:
  - id: windows
    type: jsonl
    input: per-window
    params: { path: ${JSON.stringify(output)} }
`,
);

test('run: a small topology completes, writes its output and the metrics JSON', () => {
  const r = cli('run', topology, '--data-dir', dataDir, '--json-metrics', metricsFile);
  assert.is(r.status, 0, show(r));
  assert.match(r.stderr, /^cli-small: completed; 20000 records in, \d+ written, 0 dead letters, 0 late; \d+ checkpoints; [\d.]+ s\n$/);
  assert.not.match(r.stderr, /resumed/);

  firstOutput = fs.readFileSync(output, 'utf8');
  const records = firstOutput.trimEnd().split('\n').map((l) => parseJson(l, 'output line'));
  assert.is(records.length, 20, 'twenty 100 ms windows in the 2 s of event time of 20,000 events');
  assert.equal(Object.keys(records[0]!), ['key', 'windowStart', 'windowEnd', 'bids', 'top']);
  assert.equal(records.reduce((n, x) => n + Number(x.bids), 0), 18_400, 'every bid is counted once');

  const report = parseJson(fs.readFileSync(metricsFile, 'utf8'), metricsFile);
  const metric = checkReport(report, 'run', true);
  assert.is(metric.completed, true);
  assert.is(metric.sourceRecords, 20_000);
  assert.is(metric.sinkRecords, records.length);
  assert.is(metric.restoredFromEpoch, null);
  assert.is(metric.topology, 'cli-small');
  firstSinkRecords = Number(metric.sinkRecords);
});

test('run again: resumes from the checkpoint and writes nothing new; --json-metrics - prints the report', () => {
  const r = cli('run', topology, '--data-dir', dataDir, '--json-metrics', '-');
  assert.is(r.status, 0, show(r));
  assert.match(r.stderr, /resumed from checkpoint \d+/);
  assert.match(r.stderr, /^cli-small: completed; 0 records in, 0 written/);
  const metric = checkReport(parseJson(r.stdout, 'stdout of --json-metrics -'), 'run', true);
  assert.type(metric.restoredFromEpoch, 'number');
  assert.is(metric.sourceRecords, 0);
  assert.is(metric.sinkRecords, 0);
  assert.is(fs.readFileSync(output, 'utf8'), firstOutput, 'the output file changed on resume');
});

test('run --fresh: starts over and writes the same output again', () => {
  const r = cli('run', topology, '--data-dir', dataDir, '--fresh', '--json-metrics', metricsFile);
  assert.is(r.status, 0, show(r));
  assert.not.match(r.stderr, /resumed/);
  assert.match(r.stderr, /^cli-small: completed; 20000 records in/);
  assert.is(fs.readFileSync(output, 'utf8'), firstOutput, 'a fresh run produced different output');
  const metric = checkReport(parseJson(fs.readFileSync(metricsFile, 'utf8'), metricsFile), 'run', true);
  assert.is(metric.restoredFromEpoch, null);
  assert.is(metric.sinkRecords, firstSinkRecords);
});

test('run: a changed topology refuses the old checkpoint (CHECKPOINT_MISMATCH, exit 1) and leaves the output alone', () => {
  const changed = path.join(tmp, 'changed.yaml');
  fs.writeFileSync(changed, fs.readFileSync(topology, 'utf8').replace('size: 100ms', 'size: 200ms'));
  const r = cli('run', changed, '--data-dir', dataDir);
  assert.is(r.status, 1, show(r));
  assert.match(r.stderr, /^error: .*different topology.*--fresh.* \[CHECKPOINT_MISMATCH\]\n$/);
  assert.is(fs.readFileSync(output, 'utf8'), firstOutput);
});

test('run: an invalid topology exits 2 before touching the data directory', () => {
  const dir = path.join(tmp, 'untouched');
  const r = cli('run', path.join(INVALID, 'unknown-sink.yaml'), '--data-dir', dir);
  assert.is(r.status, 2, show(r));
  assert.is(errorLines(r.stderr)[0]!.groups!.code, 'TOPOLOGY_UNKNOWN_CONNECTOR');
  assert.not.ok(fs.existsSync(dir));
});

test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test.run();
