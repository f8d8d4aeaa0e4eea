import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tuner } from '../../../control/tuner/tuner.ts';
import { parseExperimentSpec } from '../../../control/teacher/experiment-spec.ts';
import { FileParamSource } from '../../../operators/maas/param-source.ts';
import { IMPACT_FACTORS } from '../../../operators/maas/params.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { expectRejects } from '../../support/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-tuner-'));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let seq = 0;
let clock = 1_700_000_000_000;

async function fresh(initial?: object): Promise<{ tuner: Tuner; file: string }> {
  const file = path.join(dir, `params-${++seq}.json`);
  if (initial) fs.writeFileSync(file, JSON.stringify(initial));
  conn = await instance.connect();
  await conn.run(`CREATE SCHEMA s${seq}; USE s${seq}`);
  return { tuner: await Tuner.open(conn, { paramsFile: file, now: () => ++clock }), file };
}

const who = { initiator: 'test', reason: 'because' };

/** Everything a refused call must leave alone. */
async function snapshot(t: Tuner, file: string): Promise<string> {
  return JSON.stringify([await t.versions(), await t.audit(), await t.experiments(), fs.readFileSync(file, 'utf8')]);
}

test.before(async () => {
  instance = await DuckDBInstance.create(path.join(dir, 'control.duckdb'));
});
test.after(() => {
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the first version comes from the parameter file; the file is rewritten from the tables', async () => {
  const { tuner, file } = await fresh({ version: 'old', params: { top_k: 3 } });
  const [v1] = await tuner.versions();
  assert.is(v1!.version, 'v1');
  assert.is(v1!.params.top_k, 3);
  assert.ok(v1!.active);
  const source = new FileParamSource(file);
  assert.is(source.active().version, 'v1');
  assert.is(source.active().params.top_k, 3);
  assert.equal((await tuner.audit()).map((e) => e.action), ['activate']);
});

test('create, activate and roll back: the pipeline reads each change; versions form a stack', async () => {
  const { tuner, file } = await fresh();
  const source = new FileParamSource(file);
  const v2 = await tuner.createVersion({ top_k: 8 }, { ...who, reason: 'more recall' });
  assert.is(v2.status, 'candidate');
  assert.is(v2.parent, 'v1');
  assert.is(source.active().version, 'v1', 'a candidate is not active');
  await tuner.activate(v2.version, who);
  assert.is(source.active().version, 'v2');
  assert.is(source.active().params.top_k, 8);
  const v3 = await tuner.createVersion({ relevance_weight: 0.2 }, who);
  await tuner.activate(v3.version, who);
  assert.is((await tuner.rollback({ initiator: 'rule:x', reason: 'precision dropped' })).version, 'v2');
  assert.is(source.active().version, 'v2');
  assert.is((await tuner.version('v3')).status, 'rolled_back');
  assert.is((await tuner.rollback(who)).version, 'v1');
  await expectRejects(() => tuner.rollback(who), 'CONFLICT', /nothing to roll back/);
  const audit = await tuner.audit();
  const rollback = audit.find((e) => e.action === 'rollback')!;
  assert.equal([rollback.version, rollback.from_version, rollback.initiator, rollback.reason], ['v2', 'v3', 'rule:x', 'precision dropped']);
  await expectRejects(() => tuner.activate('v1', who), 'CONFLICT', /already active/);
  await expectRejects(() => tuner.activate('v99', who), 'NOT_FOUND', /v99/);
});

test('out-of-range, unknown and disallowed changes are refused every time and change nothing', async () => {
  const { tuner, file } = await fresh();
  const ok = await tuner.createVersion({ top_k: 4 }, who);
  const prng = new SplitMix32(42);
  const rand = (): number => prng.nextDouble();
  const numeric = IMPACT_FACTORS.filter((f) => f.type !== 'enum');
  const before = await snapshot(tuner, file);
  let refused = 0;
  const attempts = 300;
  for (let i = 0; i < attempts; i++) {
    const f = numeric[Math.floor(rand() * numeric.length)]!;
    const kind = i % 6;
    const bad: Record<string, unknown> =
      kind === 0 ? { [f.name]: f.max + 1 + Math.floor(rand() * 100) }
      : kind === 1 ? { [f.name]: f.min - 1 - rand() * 100 }
      : kind === 2 ? { [f.name]: Number.NaN }
      : kind === 3 ? { [f.name]: String(f.default) }
      : kind === 4 ? { [`${f.name}_typo`]: f.default }
      : { system_prompt_version: `v${100 + i}` };
    try {
      await tuner.createVersion(bad, who);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'PARAM_GUARD', (err as Error).message);
      refused++;
    }
  }
  assert.is(refused, attempts);
  // a version that changes a factor the goal does not allow
  await expectRejects(() => tuner.activate(ok.version, { ...who, allowed: ['relevance_weight'] }), 'PARAM_GUARD', /top_k 5 → 4/);
  await expectRejects(() => tuner.createVersion({ top_k: 9 }, { ...who, allowed: ['top_kk'] }), 'PARAM_GUARD', /unknown impact factor/);
  // a stored version whose parameters were tampered with in the table
  await conn.run(`UPDATE experiment_parameters SET params = '{"top_k": 500}' WHERE version = '${ok.version}'`);
  const tampered = await snapshot(tuner, file);
  await expectRejects(() => tuner.activate(ok.version, who), 'PARAM_GUARD', /top_k = 500 is not allowed: expected integer 1\.\.50/);
  assert.is(await snapshot(tuner, file), tampered);
  await conn.run(`UPDATE experiment_parameters SET params = '${JSON.stringify(ok.params)}' WHERE version = '${ok.version}'`);
  assert.is(await snapshot(tuner, file), before);
});

test('experiments: arms become versions, the file splits traffic, activation waits, rollback stops it', async () => {
  const { tuner, file } = await fresh();
  const spec = parseExperimentSpec(
    'spec.json',
    JSON.stringify({ id: 'k8', goal: 'g', baseline: { name: 'control' }, variants: [{ name: 'k8', params: { top_k: 8 } }], assignment: { unit: 'user_id', split: { control: 0.5, k8: 0.5 } }, primary_metrics: ['recall_at_k'], success: { mde: 0.05 } }),
  );
  const prepared = await tuner.prepareExperiment(spec, who);
  assert.equal(prepared.arm_versions, { control: 'v1', k8: 'v2' });
  const source = new FileParamSource(file);
  assert.is(source.experiments().length, 0, 'not split before start');
  await tuner.startExperiment('k8', who);
  assert.is(source.experiments()[0]!.versions.get('k8')!.params.top_k, 8);
  const variants = new Set(Array.from({ length: 40 }, (_, i) => source.forRequest({ user_id: `u${i}`, thread_id: 't', message: 'm' }).variant));
  assert.equal([...variants].sort(), ['control', 'k8']);
  await expectRejects(() => tuner.prepareExperiment(spec, who), 'CONFLICT', /already exists/);
  const v3 = await tuner.createVersion({ top_k: 2 }, who);
  await expectRejects(() => tuner.activate(v3.version, who), 'CONFLICT', /running/);
  await expectRejects(() => tuner.activate('v2', who), 'CONFLICT', /running/);
  await tuner.stopExperiment('k8', who);
  assert.is(source.experiments().length, 0);
  await tuner.activate('v2', who);
  const other = parseExperimentSpec('s.json', JSON.stringify({ ...JSON.parse(JSON.stringify({ id: 'w', goal: 'g', baseline: { name: 'a' }, variants: [{ name: 'b', params: { relevance_weight: 0.1 } }], assignment: { unit: 'thread_id', split: { a: 0.5, b: 0.5 } }, primary_metrics: ['precision_at_k'], success: { mde: 0.05 } })) }));
  await tuner.prepareExperiment(other, who);
  await tuner.startExperiment('w', who);
  await tuner.rollback({ initiator: 'rule:r', reason: 'bad' });
  assert.is((await tuner.experiment('w')).status, 'stopped');
  assert.is(source.active().version, 'v1');
  assert.is(source.experiments().length, 0);
});

test.run();
