import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const cli = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, ['bin/maasflow.js', ...args], { input, encoding: 'utf8', timeout: 60_000 });

test('log produce (Avro, keyed) -> log topics -> log read (with schema evolution) -> a topology consumes it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-logcli-'));
  try {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ sensor: `s${i % 3}`, value: i, ts: 1_700_000_000_000 + i * 100 })).join('\n');
    const produced = cli(['log', 'produce', 'readings', '--data-dir', dir, '--schema', 'demo.Reading@1', '--key', 'value.sensor', '--timestamp', 'value.ts', '--partitions', '3'], lines);
    assert.is(produced.status, 0, produced.stderr);
    assert.match(produced.stderr, 'produced 50 records to readings');

    const topics = cli(['log', 'topics', '--data-dir', dir]);
    assert.match(topics.stdout, /readings\s+partitions=3/);

    const read = cli(['log', 'read', 'readings', '--data-dir', dir, '--schema', 'demo.Reading@2', '--max', '1000']);
    const rows = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: { sensor: string; unit: string } });
    assert.is(rows.length, 50);
    for (const r of rows) {
      assert.is(r.key, r.value.sensor);
      assert.is(r.value.unit, 'C');
    }

    const topo = path.join(dir, 't.yaml');
    fs.writeFileSync(topo, `name: consume\nsources:\n  - { id: r, type: log, params: { topic: readings, stopAtEnd: true }, format: avro, schema: demo.Reading@2, eventTime: value.ts }\nsinks:\n  - { id: out, type: jsonl, input: r, params: { path: ${path.join(dir, 'out.jsonl')} } }\n`);
    const run = cli(['run', topo, '--data-dir', dir]);
    assert.is(run.status, 0, run.stderr);
    assert.is(fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').trim().split('\n').length, 50);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('log produce reports the line of malformed JSON and keeps what came before', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-logcli-'));
  try {
    const r = cli(['log', 'produce', 't', '--data-dir', dir], '{"a":1}\n{"a":2}\n{"a":\n');
    assert.is(r.status, 1);
    assert.match(r.stderr, /stdin:3: invalid JSON/);
    const read = cli(['log', 'read', 't', '--data-dir', dir]);
    assert.is(read.stdout.trim().split('\n').length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('with --json-metrics -, stdout holds only the report (human output goes to stderr)', () => {
  for (const args of [['validate', 'topologies/nexmark/q5.yaml'], ['describe', 'topologies/nexmark/q5.yaml']]) {
    const r = cli([...args, '--json-metrics', '-']);
    assert.is(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { command: string; status: { ok: boolean } };
    assert.is(report.command, args[0]);
    assert.ok(report.status.ok);
    assert.match(r.stderr, args[0] === 'validate' ? 'ok (1 sources' : 'edges:');
  }
});

test.run();
