/** QMPT data IO: JSONL, Parquet and DuckDB round trips; every load validates and names file, line/row and field. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, quotedString } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLayers, loadObservations, loadPatterns, saveLayers, saveObservations, savePatterns } from '../../../qmpt/data/io.ts';
import { makeLayer, makeObservation, makePattern } from '../../../qmpt/data/models.ts';
import type { Observation } from '../../../qmpt/types.ts';
import { expectRejection } from '../../support/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-qmpt-io-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => path.join(dir, name);

const rejectsWith = async (p: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> => void (await expectRejection(() => p, { code, includes: fragments }));

/** DuckDB SQL on a scratch in-memory database (to write files the library would refuse to). */
async function sql(statement: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(statement);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const OBS: Observation[] = [
  makeObservation({ obs_id: 'o1', pattern_id: 'p-1', timestamp: 1.5, modality: 'text', payload: 'Я думаю, значит — я существую ☃ "quoted"\nsecond line', tags: ['ru', 'δ'] }),
  makeObservation({ obs_id: 'o2', pattern_id: 'p-1', timestamp: -3, modality: 'eeg', payload: [0.25, -1e-300, 1e300] }),
  makeObservation({ obs_id: 'o3', pattern_id: 'anom-1', timestamp: 0, modality: 'behavior', payload: { clicks: 3, dwell: 0.5 } }),
  makeObservation({ obs_id: 'o4', pattern_id: 'anom-1', timestamp: 7, modality: 'text', payload: '' }),
];
const PATTERNS = new Map(
  [
    makePattern({ pattern_id: 'p-1', layer_id: 'L1' }),
    makePattern({
      pattern_id: 'anom-1', layer_id: 'L1', metadata: { source: 'наблюдение', nested: { k: [1, null] } }, features: [0.1, -2, 3.25], anomaly_score: 0.91, reflexivity: 0, self_operator: 1,
      components: { rarity: 0.97, distance: 0.88 }, feature_spec_version: 'text_v1#0a1b2c3d', metrics_version: { anomaly: 'anomaly.v1#3f2a9c1e' },
    }),
  ].map((p) => [p.pattern_id, p]),
);
const LAYERS = [
  makeLayer({ layer_id: 'L1', description: 'слой один', patterns: ['p-1', 'anom-1'], state_trajectory: [{ t: 0, stress: 0.1, protection: 0.8, macro_state: { regime: 'stable', interventions: [] } }, { t: 0.1, stress: null, protection: null, macro_state: { regime: 'empty' } }] }),
  makeLayer({ layer_id: 'L2' }),
];

for (const ext of ['jsonl', 'parquet', 'duckdb']) {
  test(`${ext}: observations, patterns and layers come back as saved`, async () => {
    const file = (kind: string): string => at(ext === 'duckdb' ? 'all.duckdb' : `${kind}.${ext}`);
    await saveObservations(file('observations'), OBS);
    await savePatterns(file('patterns'), PATTERNS);
    await saveLayers(file('layers'), LAYERS);
    assert.equal(await loadObservations(file('observations')), OBS);
    const patterns = await loadPatterns(file('patterns'));
    assert.equal([...patterns.keys()], ['p-1', 'anom-1']);
    assert.equal([...patterns.values()], [...PATTERNS.values()]);
    assert.equal(await loadLayers(file('layers')), LAYERS);
    // saving again replaces: nothing doubles
    await saveObservations(file('observations'), OBS.slice(0, 2));
    assert.equal(await loadObservations(file('observations')), OBS.slice(0, 2));
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  });
}

test('jsonl: blank lines are skipped; a bad line fails the load naming file:line and field', async () => {
  const file = at('bad.jsonl');
  const line = (o: object): string => JSON.stringify(o);
  fs.writeFileSync(file, `\uFEFF${line(OBS[0]!)}\n\n   \r\n${line(OBS[1]!)}\r\n`);
  assert.equal(await loadObservations(file), OBS.slice(0, 2));
  fs.appendFileSync(file, `${line({ ...OBS[2]!, timestamp: '7' })}\n`);
  await rejectsWith(loadObservations(file), 'RECORD_VALIDATE', `${file}:5 /timestamp: must be number`);
  fs.writeFileSync(file, `${line(OBS[0]!)}\n{"obs_id": \n`);
  await rejectsWith(loadObservations(file), 'RECORD_DECODE', `${file}:2: invalid JSON`);
  fs.writeFileSync(file, `${line(OBS[0]!)}\n${line(OBS[0]!)}\n`);
  await rejectsWith(loadObservations(file), 'RECORD_VALIDATE', `${file}:2 /obs_id: observation "o1" is already at ${file}:1`);
  fs.writeFileSync(file, `${line({ ...[...PATTERNS.values()][1]!, anomaly_score: 1.2 })}\n`);
  await rejectsWith(loadPatterns(file), 'RECORD_VALIDATE', `${file}:1 /anomaly_score: must be <= 1`);
});

test('parquet: a bad row fails the load naming file, row and field', async () => {
  const file = at('bad.parquet');
  await sql(`COPY (SELECT * FROM (VALUES ('o1', 'p', 1.0, 'text', '"hi"', ['a']), ('o2', 'p', 2.0, 'eeg', '"not numbers"', [])) t(obs_id, pattern_id, "timestamp", modality, payload, tags)) TO ${quotedString(file)} (FORMAT parquet)`);
  await rejectsWith(loadObservations(file), 'RECORD_VALIDATE', `${file} row 2 /payload: a "eeg" observation needs a non-empty number[]`);
  await sql(`COPY (SELECT 'o1' AS obs_id, 'p' AS pattern_id, 1.0 AS "timestamp", 'text' AS modality, '{oops' AS payload, ['a'] AS tags) TO ${quotedString(file)} (FORMAT parquet)`);
  await rejectsWith(loadObservations(file), 'RECORD_DECODE', `${file} row 1 /payload: not JSON text`);
  await sql(`COPY (SELECT 'p1' AS pattern_id, 'L' AS layer_id, '{}' AS metadata, [1.0, 'nan'::DOUBLE] AS features) TO ${quotedString(file)} (FORMAT parquet)`);
  await rejectsWith(loadPatterns(file), 'RECORD_VALIDATE', `${file} row 1 /features/1: must be a finite number, got NaN`);
  fs.writeFileSync(file, 'not parquet');
  await rejectsWith(loadObservations(file), 'RECORD_DECODE', `${file}: cannot read it as Parquet`);
});

test('duckdb: loads validate; replace keeps other tables; append adds and refuses a repeated key; tables can be renamed', async () => {
  const file = at('db.duckdb');
  await saveObservations(file, OBS);
  await savePatterns(file, PATTERNS, { table: 'scored' });
  await saveObservations(file, OBS.slice(0, 1)); // replaces qmpt_observations only
  assert.equal((await loadPatterns(file, { table: 'scored' })).size, 2);
  await saveObservations(file, OBS.slice(1), { mode: 'append' });
  assert.equal(await loadObservations(file), OBS);
  await rejectsWith(saveObservations(file, OBS.slice(3), { mode: 'append' }), 'CONFLICT', file);
  assert.equal(await loadObservations(file), OBS, 'a refused append writes nothing');
  await rejectsWith(loadLayers(file), 'CONFIG', `${file}: no table qmpt_layers`);

  const bad = at('bad.duckdb');
  await sql(`ATTACH ${quotedString(bad)} AS f; CREATE TABLE f.qmpt_observations AS SELECT * FROM (VALUES ('o1', 'p', 1.0, 'text', '"hi"', ['a']), ('o2', '', 2.0, 'text', '"x"', [])) t(obs_id, pattern_id, "timestamp", modality, payload, tags)`);
  await rejectsWith(loadObservations(bad), 'RECORD_VALIDATE', `${bad} table qmpt_observations row 2 /pattern_id: must NOT have fewer than 1 characters`);
  await saveLayers(bad, LAYERS);
  await sql(`ATTACH ${quotedString(bad)} AS f; INSERT INTO f.qmpt_layer_states VALUES ('L9', 0, 0.0, NULL, NULL, '{}')`);
  await rejectsWith(loadLayers(bad), 'RECORD_VALIDATE', `${bad} table qmpt_layer_states row 3 /layer_id: no layer "L9"`);
});

test('saving validates first: a bad or repeated record writes nothing and names the record', async () => {
  const file = at('keep.jsonl');
  await saveObservations(file, OBS);
  await rejectsWith(saveObservations(file, [OBS[0]!, { ...OBS[1]!, timestamp: Number.POSITIVE_INFINITY }]), 'RECORD_VALIDATE', `saving ${file}: record 1 /timestamp`);
  await rejectsWith(saveObservations(file, [OBS[0]!, OBS[0]!]), 'RECORD_VALIDATE', `record 1 /obs_id: observation "o1" is already at`);
  await rejectsWith(savePatterns(file, new Map([['other', PATTERNS.get('p-1')!]])), 'RECORD_VALIDATE', 'the map key "other"');
  assert.equal(await loadObservations(file), OBS, 'the old file is intact');
});

test('formats and options: unknown extension, DuckDB options elsewhere, a missing file', async () => {
  await rejectsWith(loadObservations(at('x.csv')), 'CONFIG', 'unknown data format ".csv"');
  await rejectsWith(saveObservations(at('x.jsonl'), OBS, { table: 't' }), 'CONFIG', 'option table applies to .duckdb files only');
  await rejectsWith(loadObservations(at('missing.jsonl')), 'CONFIG', `cannot read ${at('missing.jsonl')}`);
  await rejectsWith(loadObservations(at('missing.duckdb')), 'CONFIG', `cannot read ${at('missing.duckdb')}`);
  assert.not.ok(fs.existsSync(at('missing.duckdb')), 'loading does not create a database');
});

test.run();
