// Every shipped topology validates, and `describe` of Nexmark q5 matches a snapshot.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../engine/errors.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { describeTopology, renderDescription, type TopologyDescription } from '../../topologies/describe.ts';
import { loadTopology } from '../../topologies/validate.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemas = SchemaRegistry.load();

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

const shipped = yamlFiles(path.join(ROOT, 'topologies'));

test('the shipped topologies are found', () => {
  const rel = shipped.map((f) => path.relative(ROOT, f));
  for (const expected of ['topologies/demo-readings.yaml', 'topologies/nexmark/q0.yaml', 'topologies/nexmark/q5.yaml', 'topologies/nexmark/q7.yaml']) {
    assert.ok(rel.includes(expected), `${expected} not found in ${rel.join(', ')}`);
  }
});

for (const file of shipped) {
  const rel = path.relative(ROOT, file);
  test(`${rel} validates`, () => {
    try {
      const { spec, file: loaded } = loadTopology(file, schemas);
      assert.is(loaded, file);
      assert.ok(spec.sources.length > 0 && spec.sinks.length > 0);
    } catch (err) {
      if (err instanceof ValidationErrors) assert.unreachable(`${rel}:\n${err.message}`);
      throw err;
    }
  });

  test(`${rel} can be described (every node once, every edge between known nodes)`, () => {
    const { spec } = loadTopology(file, schemas);
    const d = describeTopology(spec);
    const ids = d.nodes.map((n) => n.id);
    assert.is(new Set(ids).size, ids.length);
    assert.is(ids.length, spec.sources.length + (spec.operators?.length ?? 0) + spec.sinks.length);
    for (const e of d.edges) {
      const from = d.nodes.find((n) => n.id === e.from);
      assert.ok(from, `edge from unknown node ${e.from}`);
      assert.ok(from.ports.includes(e.port), `${e.from} has no port ${e.port}`);
      assert.ok(ids.includes(e.to) || e.to.startsWith('topic:'), `edge to unknown node ${e.to}`);
    }
    // operators come after their inputs
    const seen = new Set(spec.sources.map((s) => s.id));
    for (const n of d.nodes.filter((x) => x.kind === 'operator')) {
      for (const e of d.edges.filter((x) => x.to === n.id)) assert.ok(seen.has(e.from), `${n.id} listed before its input ${e.from}`);
      seen.add(n.id);
    }
    // the JSON form (`describe --json`, the HTTP API) is plain data
    assert.equal(JSON.parse(JSON.stringify(d)) as TopologyDescription, d);
  });
}

const q5 = path.join(ROOT, 'topologies', 'nexmark', 'q5.yaml');

test('describe nexmark/q5: nodes with keys and windows, edges', () => {
  const d = describeTopology(loadTopology(q5, schemas).spec);
  const out = (id: string, kind: 'source' | 'operator' | 'sink', type: string, keyedBy: string | null, window: string | null, notes: string | null, ports: string[]) =>
    ({ id, kind, type, parallelism: 1, keyedBy, window, notes, ports });
  assert.equal(d, {
    name: 'nexmark-q5',
    parallelism: 1,
    nodes: [
      out('events', 'source', 'nexmark', null, null, 'format object, event time = record time', ['out', 'dlq']),
      out('bids', 'operator', 'filter', null, null, null, ['out']),
      out('by-auction', 'operator', 'keyBy', 'value.bid.auction', null, null, ['out']),
      out('counts', 'operator', 'window', 'value.bid.auction', 'hopping 10s every 2s, lateness 0s', null, ['out', 'late']),
      out('per-window', 'operator', 'keyBy', 'value.windowEnd', null, null, ['out']),
      out('hottest', 'operator', 'window', 'value.windowEnd', 'tumbling 2s, lateness 0s', null, ['out', 'late']),
      out('result', 'operator', 'map', 'value.windowEnd', null, null, ['out']),
      out('out', 'sink', 'blackhole', 'value.windowEnd', null, null, []),
    ],
    edges: [
      { from: 'events', port: 'out', to: 'bids' },
      { from: 'bids', port: 'out', to: 'by-auction' },
      { from: 'by-auction', port: 'out', to: 'counts' },
      { from: 'counts', port: 'out', to: 'per-window' },
      { from: 'per-window', port: 'out', to: 'hottest' },
      { from: 'hottest', port: 'out', to: 'result' },
      { from: 'result', port: 'out', to: 'out' },
    ],
  });
});

test('renderDescription of nexmark/q5 shows keys, windows and edges', () => {
  const text = renderDescription(describeTopology(loadTopology(q5, schemas).spec));
  const lines = text.split('\n');
  assert.is(lines[0], 'topology nexmark-q5 (parallelism 1)');
  const line = (id: string): string => {
    const found = lines.find((l) => new RegExp(`^  \\w+\\s+${id}\\s`).test(l));
    assert.ok(found, `no node line for ${id} in:\n${text}`);
    return found;
  };
  assert.match(line('events'), /source\s+events\s+nexmark\s+x1\s+not keyed/);
  assert.match(line('bids'), /not keyed/);
  assert.match(line('by-auction'), /keyed by value\.bid\.auction/);
  assert.match(line('counts'), /keyed by value\.bid\.auction; window hopping 10s every 2s, lateness 0s; outputs out, late/);
  assert.match(line('hottest'), /keyed by value\.windowEnd; window tumbling 2s, lateness 0s; outputs out, late/);
  assert.match(line('out'), /sink\s+out\s+blackhole\s+x1\s+keyed by value\.windowEnd/);
  assert.ok(lines.includes('edges:'));
  for (const edge of ['events -> bids', 'bids -> by-auction', 'by-auction -> counts', 'counts -> per-window', 'per-window -> hottest', 'hottest -> result', 'result -> out']) {
    assert.ok(lines.includes(`  ${edge}`), `missing edge line "${edge}" in:\n${text}`);
  }
});

test('describe shows non-default ports, dead-letter topics and source settings (demo-readings)', () => {
  const d = describeTopology(loadTopology(path.join(ROOT, 'topologies', 'demo-readings.yaml'), schemas).spec);
  const readings = d.nodes.find((n) => n.id === 'readings')!;
  assert.is(readings.notes, 'format avro, schema demo.Reading@2, event time value.ts, out-of-orderness 2s, dead letters -> demo.readings.dlq');
  const stats = d.nodes.find((n) => n.id === 'stats')!;
  assert.is(stats.keyedBy, 'value.sensor');
  assert.is(stats.window, 'tumbling 10s, lateness 1s');
  assert.ok(d.edges.some((e) => e.from === 'stats' && e.port === 'late' && e.to === 'late-readings'));
  assert.ok(d.edges.some((e) => e.from === 'readings' && e.port === 'dlq' && e.to === 'topic:demo.readings.dlq'));
  const text = renderDescription(d);
  assert.ok(text.includes('  stats.late -> late-readings'), text);
  assert.ok(text.includes('  readings.dlq -> topic:demo.readings.dlq'), text);
});

test.run();
