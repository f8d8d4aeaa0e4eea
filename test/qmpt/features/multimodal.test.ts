/**
 * MultiModalFeatureSpec: block layout (sorted modalities), weights, zeros
 * outside an observation's block, x_Ψ over modalities, errors naming obs_id
 * and modality, state round trips.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MultiModalFeatureSpec } from '../../../qmpt/features/multimodal.ts';
import { patternFeatures } from '../../../qmpt/features/pattern-features.ts';
import { createFeatureSpec, featureSpecFromConfig, featureSpecFromState } from '../../../qmpt/features/registry.ts';
import { TEXT_STAT_COLUMNS } from '../../../qmpt/features/text-stats.ts';
import { row } from '../../../qmpt/matrix.ts';
import type { FeaturesConfig } from '../../../qmpt/types.ts';
import { corpus, fakeEmbedders, obs, thrown } from './helpers.ts';

const CONFIG: FeaturesConfig = {
  spec_id: 'mm',
  kind: 'multimodal',
  max_length: 4096,
  statistics: true,
  embedding_dims: 0,
  modalities: {
    text: { kind: 'text', weight: 2 },
    eeg: { kind: 'numeric', weight: 0.5 },
  },
};

function dataset() {
  const texts = corpus(4, 12);
  const out = texts.map((t, i) => obs(`t${i}`, t, 'text', `p${i % 3}`, i));
  for (let i = 0; i < 9; i++) out.splice(2 * i + 1, 0, obs(`e${i}`, { alpha: i, beta: (i * 7) % 5 }, 'eeg', `p${i % 3}`, 100 + i));
  return out;
}

test('layout: blocks in sorted modality order with `modality.column` names', async () => {
  const spec = (await featureSpecFromConfig(CONFIG).fit(dataset())) as MultiModalFeatureSpec;
  assert.equal(spec.layout, [
    { modality: 'eeg', weight: 0.5, offset: 0, dim: 2 },
    { modality: 'text', weight: 2, offset: 2, dim: 11 },
  ]);
  assert.equal(spec.columns, ['eeg.alpha', 'eeg.beta', ...TEXT_STAT_COLUMNS.map((c) => `text.${c}`)]);
  assert.is(spec.dim, 13);
});

test('a row is its modality block scaled by the weight, zero elsewhere; x_Ψ mixes the modalities', async () => {
  const data = dataset();
  const spec = await featureSpecFromConfig(CONFIG).fit(data);
  const X = await spec.transform(data);
  const textOnly = await createFeatureSpec('text', { spec_id: 'mm.text' }).fit(data.filter((o) => o.modality === 'text'));
  const eegOnly = await createFeatureSpec('numeric', { spec_id: 'mm.eeg' }).fit(data.filter((o) => o.modality === 'eeg'));
  for (let i = 0; i < data.length; i++) {
    const o = data[i]!;
    const r = row(X, i);
    if (o.modality === 'text') {
      const expected = row(await textOnly.transform([o]), 0);
      assert.equal(Array.from(r.subarray(0, 2)), [0, 0], `${o.obs_id} eeg block`);
      for (let j = 0; j < 11; j++) assert.ok(Math.abs(r[2 + j]! - 2 * expected[j]!) < 1e-12, `${o.obs_id} text column ${j}`);
    } else {
      const expected = row(await eegOnly.transform([o]), 0);
      assert.equal(Array.from(r.subarray(2)), new Array(11).fill(0), `${o.obs_id} text block`);
      for (let j = 0; j < 2; j++) assert.ok(Math.abs(r[j]! - 0.5 * expected[j]!) < 1e-12, `${o.obs_id} eeg column ${j}`);
    }
  }
  const xs = patternFeatures(data, X);
  assert.equal([...xs.keys()], ['p0', 'p1', 'p2']);
  const p1 = data.map((o, i) => [o, i] as const).filter(([o]) => o.pattern_id === 'p1');
  for (let j = 0; j < X.cols; j++) {
    const m = p1.reduce((s, [, i]) => s + X.data[i * X.cols + j]!, 0) / p1.length;
    assert.ok(Math.abs(xs.get('p1')![j]! - m) < 1e-12);
  }
  assert.ok(xs.get('p1')!.subarray(0, 2).some((v) => v !== 0) && xs.get('p1')!.subarray(2).some((v) => v !== 0), 'x_Ψ holds both modalities');
});

test('block options override the inherited fields; the version covers the blocks', async () => {
  const fake = fakeEmbedders(5);
  const config: FeaturesConfig = { ...CONFIG, model: 'fake', embedding_dims: 2, modalities: { text: { kind: 'text', weight: 1, options: { statistics: false } }, eeg: { kind: 'numeric', weight: 1 } } };
  const spec = (await featureSpecFromConfig(config, { embedders: fake.provider }).fit(dataset())) as MultiModalFeatureSpec;
  assert.equal(spec.columns, ['eeg.alpha', 'eeg.beta', 'text.pc1', 'text.pc2']);
  const reweighted = await featureSpecFromConfig({ ...config, modalities: { ...config.modalities, eeg: { kind: 'numeric', weight: 3 } } }, { embedders: fake.provider }).fit(dataset());
  assert.is.not(reweighted.version, spec.version);
  const state = JSON.parse(JSON.stringify(spec.toState()));
  const back = featureSpecFromState(state, { embedders: fake.provider });
  assert.is(back.version, spec.version);
  assert.equal(await back.transform(dataset()), await spec.transform(dataset()));
  state.fitted.blocks.text.kind = 'numeric';
  assert.throws(() => featureSpecFromState(state, { embedders: fake.provider }), /fitted\.blocks\.text\.kind: is "numeric", the configuration says "text"/);
});

test('an observation of a modality with no block names obs_id and modality; a block with no fit data is an error', async () => {
  const spec = featureSpecFromConfig(CONFIG);
  const unknown = await thrown(() => spec.fit([...dataset(), obs('b7', [1, 2], 'behavior')]));
  assert.is(unknown.code, 'RECORD_VALIDATE');
  assert.match(unknown.message, /observation b7 \/modality: "behavior" has no block in this spec \(modalities: eeg, text\)/);
  const missing = await thrown(() => spec.fit(dataset().filter((o) => o.modality === 'text')));
  assert.match(missing.message, /no observation of modality "eeg" to fit its block on/);
  assert.not.ok(spec.fitted);
  await spec.fit(dataset());
  assert.match((await thrown(() => spec.transform([obs('x1', 'hi', 'audio')]))).message, /observation x1 \/modality: "audio"/);
  // a batch with only some modalities is fine
  const X = await spec.transform([obs('only-eeg', { alpha: 1, beta: 1 }, 'eeg')]);
  assert.is(X.rows, 1);
});

test('configuration errors name the field', async () => {
  const { modalities: _, ...noModalities } = CONFIG;
  assert.throws(() => featureSpecFromConfig(noModalities), /features\.modalities: multimodal spec mm needs at least one modality/);
  assert.throws(() => featureSpecFromConfig({ ...CONFIG, modalities: {} }), /features\.modalities: must NOT have fewer than 1 properties/);
  assert.throws(() => featureSpecFromConfig({ ...CONFIG, modalities: { eeg: { kind: 'numeric', weight: -1 } } }), /features\.modalities\.eeg\.weight: must be >= 0, got -1/);
  assert.throws(() => featureSpecFromConfig({ ...CONFIG, modalities: { eeg: { kind: 'numeric', weight: Number.NaN } } }), /features\.modalities\.eeg\.weight: must be number, got NaN/);
  assert.throws(() => featureSpecFromConfig({ ...CONFIG, modalities: { eeg: { kind: 'nope', weight: 1 } } }), /unknown feature spec kind "nope" \(known: .*multimodal, numeric, text/);
  assert.throws(() => featureSpecFromConfig({ ...CONFIG, modalities: { t: { kind: 'text', weight: 1, options: { max_length: 0 } } } }), /features\.modalities\.t\.options\.max_length: must be >= 1, got 0/);
});

test.run();
