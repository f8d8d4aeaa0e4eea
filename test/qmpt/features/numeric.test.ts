/** NumericFeatureSpec: array and record payloads, sorted columns fixed at fit, z-scores, errors naming obs_id and key. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFeatureSpec, featureSpecFromState } from '../../../qmpt/features/registry.ts';
import { toRows } from '../../../qmpt/matrix.ts';
import { columnMoments, obs, thrown } from './helpers.ts';

const eeg = (id: string, alpha: number, beta: number, theta: number) => obs(id, { theta, beta, alpha }, 'eeg');

test('record payloads: columns are the keys in sorted order; the fit set z-scores to mean 0, std 1', async () => {
  const fitSet = [eeg('a', 1, 10, 5), eeg('b', 2, 20, 5), eeg('c', 3, 60, 5), eeg('d', 6, 10, 5)];
  const spec = await createFeatureSpec('numeric', { spec_id: 'eeg' }).fit(fitSet);
  assert.equal(spec.columns, ['alpha', 'beta', 'theta']);
  const X = await spec.transform(fitSet);
  const { mean, std } = columnMoments(X);
  assert.ok(Math.abs(mean[0]!) < 1e-15 && Math.abs(std[0]! - 1) < 1e-15);
  assert.ok(Math.abs(mean[1]!) < 1e-15 && Math.abs(std[1]! - 1) < 1e-15);
  assert.equal([mean[2], std[2]], [0, 0], 'theta is constant: 0');
  // alpha: mean 3, population std √3.5
  const [row] = toRows(await spec.transform([eeg('new', 10, 25, 99)]));
  assert.ok(Math.abs(row![0]! - 7 / Math.sqrt(3.5)) < 1e-12);
  assert.is(row![2], 0);
});

test('array payloads: positions are the columns; a key only some later records have is ignored', async () => {
  const spec = await createFeatureSpec('numeric').fit([obs('a', [1, 2], 'logits'), obs('b', [3, 6], 'logits')]);
  assert.equal(spec.columns, ['0', '1']);
  assert.equal(toRows(await spec.transform([obs('c', [2, 4], 'logits')])), [[0, 0]]);
  const rec = await createFeatureSpec('numeric').fit([obs('a', { x: 1 }), obs('b', { x: 2 })]);
  assert.equal(toRows(await rec.transform([obs('c', { x: 1.5, extra: 7 })])), [[0]]);
});

test('a missing key seen at fit names the obs_id and the key, at fit and at transform', async () => {
  const fitErr = await thrown(() => createFeatureSpec('numeric', { spec_id: 'beh' }).fit([obs('o1', { clicks: 1, dwell: 2 }), obs('o2', { clicks: 3 })]));
  assert.is(fitErr.code, 'RECORD_VALIDATE');
  assert.match(fitErr.message, /feature spec beh \(numeric\): observation o2 \/payload\/dwell: missing/);
  const spec = await createFeatureSpec('numeric').fit([obs('o1', { clicks: 1, dwell: 2 }), obs('o2', { clicks: 3, dwell: 1 })]);
  assert.match((await thrown(() => spec.transform([obs('o9', { dwell: 1 })]))).message, /observation o9 \/payload\/clicks: missing/);
  const arr = await createFeatureSpec('numeric').fit([obs('a', [1, 2, 3])]);
  assert.match((await thrown(() => arr.transform([obs('short', [1, 2])]))).message, /observation short \/payload\/2: missing/);
  assert.match((await thrown(() => arr.transform([obs('long', [1, 2, 3, 4])]))).message, /observation long \/payload: holds 4 values, the spec was fitted on 3/);
});

test('non-finite and non-number values, and payloads of the wrong shape, are errors naming obs_id and key', async () => {
  const spec = await createFeatureSpec('numeric').fit([obs('a', { 'a/b': 1 }), obs('b', { 'a/b': 2 })]);
  assert.match((await thrown(() => spec.transform([obs('nan', { 'a/b': Number.NaN })]))).message, /observation nan \/payload\/a~1b: must be a finite number, got NaN/);
  assert.match((await thrown(() => spec.transform([obs('inf', { 'a/b': Number.POSITIVE_INFINITY })]))).message, /got Infinity/);
  assert.match((await thrown(() => spec.transform([obs('str', { 'a/b': '3' })]))).message, /observation str \/payload\/a~1b: must be a finite number, got "3"/);
  assert.match((await thrown(() => spec.transform([obs('arr', [1])]))).message, /observation arr \/payload: must be a \{ name: number \} record/);
  assert.match((await thrown(() => createFeatureSpec('numeric').fit([obs('t', 'text')]))).message, /observation t \/payload: must be a number\[\] or a \{ name: number \} record, got "text"/);
  assert.match((await thrown(() => createFeatureSpec('numeric').fit([obs('e', {})]))).message, /observation e \/payload: holds no value/);
});

test('state round trip: same version, columns and transform; a broken state names the field', async () => {
  const spec = await createFeatureSpec('numeric', { spec_id: 'n' }).fit([eeg('a', 1, 2, 3), eeg('b', 4, 1, 0), eeg('c', 0, 0, 1)]);
  const state = JSON.parse(JSON.stringify(spec.toState()));
  const back = featureSpecFromState(state);
  assert.is(back.version, spec.version);
  assert.equal(back.columns, spec.columns);
  const probe = [eeg('p', 2, 2, 2)];
  assert.equal(await back.transform(probe), await spec.transform(probe));
  state.fitted.mean = [1, 2];
  assert.throws(() => featureSpecFromState(state), /feature spec state n \(numeric\): fitted\.mean: must hold 3 numbers, holds 2/);
});

test.run();
