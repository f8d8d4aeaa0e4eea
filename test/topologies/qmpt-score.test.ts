/**
 * topologies/qmpt/score.yaml end to end on the embedded log: JSON
 * observations (keyed by pattern_id) in qmpt.observations, one of them
 * breaking the Avro schema (-> qmpt.observations.dlq) and one semantically
 * invalid (-> qmpt.observations.invalid); every valid one lands once in the
 * DuckDB table qmpt_scores (also after a full replay) and on qmpt.scores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTopology } from '../../engine/runtime.ts';
import type { QmptInvalid, QmptScore } from '../../operators/qmpt/score.ts';
import { generateObservations } from '../../qmpt/data/synthetic.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { EmbeddedLog, type LogRecord } from '../../streams/log/index.ts';
import type { TopologySpec } from '../../topologies/spec.ts';
import { loadTopology } from '../../topologies/validate.ts';

const schemas = SchemaRegistry.load();
const SHIPPED = path.resolve('topologies/qmpt/score.yaml');
const utf8 = new TextDecoder();

const { observations } = generateObservations({ seed: 3, patterns: 50 });
const BREAKS_SCHEMA = { obs_id: 'bad-schema', pattern_id: 'p-9', timestamp: 'later', modality: 'text', payload: 'hello' };
const NOT_AN_OBSERVATION = { obs_id: 'bad-payload', pattern_id: 'p-9', layer_id: 'L1', timestamp: 12, modality: 'text', payload: [1, 2] };

function produce(dataDir: string, values: readonly object[]): void {
  const log = EmbeddedLog.open(path.join(dataDir, 'log'));
  try {
    log.createTopic('qmpt.observations', { partitions: 2 });
    const key = (v: object): Buffer => Buffer.from(String((v as { pattern_id: string }).pattern_id));
    log.appendByKey('qmpt.observations', values.map((v, i) => ({ key: key(v), value: Buffer.from(JSON.stringify(v)), timestamp: 1_000 + i })));
    log.flush();
  } finally {
    log.close();
  }
}

function readTopic(dataDir: string, topic: string): LogRecord[] {
  const log = EmbeddedLog.open(path.join(dataDir, 'log'));
  try {
    const out: LogRecord[] = [];
    for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
      for (let next = log.startOffset(topic, p); ; ) {
        const got = log.read(topic, p, next, 4096);
        if (got.length === 0) break;
        out.push(...got);
        next = got[got.length - 1]!.offset + 1;
      }
    }
    return out;
  } finally {
    log.close();
  }
}

const json = <T>(r: LogRecord): T => JSON.parse(utf8.decode(r.value!)) as T;

/** The shipped topology, bounded, its DuckDB file in `dir`, small batches and checkpoints. */
function tuned(dir: string, group?: string): TopologySpec {
  const { spec } = loadTopology(SHIPPED, schemas);
  return {
    ...spec,
    checkpoint: { interval: '50ms' },
    runtime: { batchSize: 64 },
    sources: spec.sources.map((s) => ({ ...s, params: { ...s.params, stopAtEnd: true, ...(group ? { group } : {}) } })),
    sinks: spec.sinks.map((s) => (s.type === 'duckdb' ? { ...s, params: { ...s.params, path: path.join(dir, 'qmpt.duckdb') } } : s)),
  };
}

async function tableRows(file: string): Promise<QmptScore[]> {
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      const result = await conn.runAndReadAll('SELECT * FROM qmpt_scores ORDER BY obs_id');
      return result.getRowObjectsJS() as unknown as QmptScore[];
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

test('observations -> qmpt-score -> qmpt.scores and DuckDB qmpt_scores (one row per obs_id); schema breaks to the DLQ, invalid ones to their topic', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-qmpt-score-'));
  try {
    assert.ok(observations.length > 256, `more observations (${observations.length}) than the warmup`);
    produce(dir, [...observations.slice(0, 100), BREAKS_SCHEMA, ...observations.slice(100, 300), NOT_AN_OBSERVATION, ...observations.slice(300)]);
    const summary = await runTopology(tuned(dir), { schemas, dataDir: dir });
    assert.ok(summary.completed);
    assert.is(summary.deadLetters, 1);
    assert.is(summary.sourceRecords, observations.length + 1);

    const dlq = readTopic(dir, 'qmpt.observations.dlq');
    assert.is(dlq.length, 1);
    assert.equal(json(dlq[0]!), BREAKS_SCHEMA);
    assert.match(utf8.decode(dlq[0]!.headers['dlq.reason']!), 'timestamp: expected double, got "later"');

    const invalid = readTopic(dir, 'qmpt.observations.invalid').map((r) => json<QmptInvalid>(r));
    assert.is(invalid.length, 1);
    assert.match(invalid[0]!.error, 'observation "bad-payload" /payload: a "text" observation needs a string as payload');
    assert.equal(invalid[0]!.record, NOT_AN_OBSERVATION);

    const topic = readTopic(dir, 'qmpt.scores');
    const byId = new Map(topic.map((r) => [json<QmptScore>(r).obs_id, r]));
    assert.is(topic.length, observations.length);
    assert.equal([...byId.keys()].sort(), observations.map((o) => o.obs_id).sort());
    for (const [, r] of byId) assert.is(utf8.decode(r.key!), json<QmptScore>(r).pattern_id, 'keyed by pattern_id');

    const rows = await tableRows(path.join(dir, 'qmpt.duckdb'));
    assert.is(rows.length, observations.length);
    assert.is(new Set(rows.map((r) => r.obs_id)).size, rows.length, 'one row per obs_id');
    for (const row of rows) assert.equal(row, json<QmptScore>(byId.get(row.obs_id)!), `${row.obs_id}: the table row is the topic record`);
    assert.ok(rows.every((r) => r.model_version === 1 && r.anomaly >= 0 && r.anomaly <= 1));

    // a full replay (fresh state, a new consumer group) upserts the same rows: the table is unchanged
    const again = await runTopology(tuned(dir, 'replay'), { schemas, dataDir: dir, fresh: true });
    assert.is(again.sinkRecords, 2 * observations.length + 2, 'scores on the topic and in the table, the dead letter and the invalid one');
    assert.equal(await tableRows(path.join(dir, 'qmpt.duckdb')), rows);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
