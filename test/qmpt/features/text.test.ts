/**
 * TextFeatureSpec: z-scores with the fit moments, max_length, versions,
 * state round trips, the embedding block through the built-in embedder, the
 * registry's default provider and an injected fake, input errors, and the
 * fixed-seed regression set `features-text`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { hashEmbed } from '../../../models/builtin/embedder.ts';
import { registryEmbedderProvider } from '../../../qmpt/features/embedder-provider.ts';
import { createFeatureSpec, featureSpecFromState } from '../../../qmpt/features/registry.ts';
import { TEXT_STAT_COLUMNS, textStatistics } from '../../../qmpt/features/text-stats.ts';
import { cutToCodePoints } from '../../../qmpt/features/text.ts';
import { toRows } from '../../../qmpt/matrix.ts';
import { matchesRegression } from '../../support/regression.ts';
import { columnMoments, corpus, fakeEmbedders, obs, textObs, thrown } from './helpers.ts';

const TEXTS = corpus(1, 40);

test('the fit set transforms to columns of mean 0 and std 1 (constant columns 0); other texts use the fit moments', async () => {
  const spec = await createFeatureSpec('text', { spec_id: 't' }).fit(textObs(TEXTS));
  assert.equal(spec.columns, [...TEXT_STAT_COLUMNS]);
  assert.is(spec.dim, 11);
  const X = await spec.transform(textObs(TEXTS));
  const { mean, std } = columnMoments(X);
  const digits = TEXT_STAT_COLUMNS.indexOf('digits_per_char');
  for (let j = 0; j < X.cols; j++) {
    assert.ok(Math.abs(mean[j]!) < 1e-12, `column ${TEXT_STAT_COLUMNS[j]} mean ${mean[j]}`);
    assert.ok(Math.abs(std[j]! - 1) < 1e-12, `column ${TEXT_STAT_COLUMNS[j]} std ${std[j]}`);
  }
  assert.ok(digits >= 0);
  // one new text, z-scored by hand with the fit set's raw moments
  const raw = TEXTS.map((t) => textStatistics(t));
  const text = 'Why? I really wonder why!!';
  const [row] = toRows(await spec.transform([obs('new', text)]));
  const r = textStatistics(text);
  for (let j = 0; j < 11; j++) {
    const m = raw.reduce((s, v) => s + v[j]!, 0) / raw.length;
    const sd = Math.sqrt(raw.reduce((s, v) => s + (v[j]! - m) ** 2, 0) / raw.length);
    assert.ok(Math.abs(row![j]! - (r[j]! - m) / sd) < 1e-9, `new text column ${j}`);
  }
});

test('a column constant on the fit set transforms to 0', async () => {
  const spec = await createFeatureSpec('text').fit(textObs(['one two.', 'three four five six.', 'seven']));
  const X = await spec.transform(textObs(['1 2 3 4 5 6 7 8 9!!!']));
  // no fit text had a digit: digits_per_char was constant 0
  assert.is(X.data[TEXT_STAT_COLUMNS.indexOf('digits_per_char')], 0);
});

test('fitTransform gives the rows transform gives; transform of nothing is 0 rows', async () => {
  const spec = createFeatureSpec('text');
  const a = await spec.fitTransform(textObs(TEXTS));
  assert.equal(a, await spec.transform(textObs(TEXTS)));
  const empty = await spec.transform([]);
  assert.is(empty.rows, 0);
  assert.is(empty.cols, 11);
});

test('max_length cuts the text (in code points) before its statistics', async () => {
  assert.is(cutToCodePoints('ab👍cd', 3), 'ab👍');
  assert.is(cutToCodePoints('short', 10), 'short');
  const spec = await createFeatureSpec('text', { max_length: 12 }).fit(textObs(TEXTS));
  const long = 'Hello there, this sentence goes on and on and on.';
  assert.equal(await spec.transform([obs('a', long)]), await spec.transform([obs('b', long.slice(0, 12))]));
});

test('version: spec_id#8 hex digits, equal for equal fits, another for other data or another config', async () => {
  const a = await createFeatureSpec('text', { spec_id: 'text_v1' }).fit(textObs(TEXTS));
  const b = await createFeatureSpec('text', { spec_id: 'text_v1' }).fit(textObs(TEXTS));
  assert.match(a.version, /^text_v1#[0-9a-f]{8}$/);
  assert.is(a.version, b.version);
  const other = await createFeatureSpec('text', { spec_id: 'text_v1' }).fit(textObs(corpus(2, 40)));
  assert.is.not(other.version, a.version);
  const cut = await createFeatureSpec('text', { spec_id: 'text_v1', max_length: 20 }).fit(textObs(TEXTS));
  assert.is.not(cut.version, a.version);
  await a.fit(textObs(corpus(2, 40)));
  assert.is(a.version, other.version, 'a refit updates the version');
});

test('toState → JSON → featureSpecFromState: the same version and the same transform, with and without PCA', async () => {
  const fake = fakeEmbedders(6);
  for (const embedding_dims of [0, 3]) {
    const spec = await createFeatureSpec('text', { spec_id: 's', model: 'fake', embedding_dims }, { embedders: fake.provider }).fit(textObs(TEXTS));
    const state = JSON.parse(JSON.stringify(spec.toState()));
    const back = featureSpecFromState(state, { embedders: fake.provider });
    assert.ok(back.fitted);
    assert.is(back.version, spec.version);
    assert.equal(back.columns, spec.columns);
    const probe = textObs(corpus(3, 10));
    assert.equal(await back.transform(probe), await spec.transform(probe));
  }
  const unfitted = featureSpecFromState(createFeatureSpec('text').toState());
  assert.not.ok(unfitted.fitted);
});

test('embedding block through an injected provider: raw vectors (embedding_dims 0) or their PCA projection', async () => {
  const fake = fakeEmbedders(6);
  const raw = await createFeatureSpec('text', { model: 'fake-model', embedding_dims: 0, statistics: false }, { embedders: fake.provider }).fit(textObs(TEXTS));
  assert.equal(raw.columns, ['emb0', 'emb1', 'emb2', 'emb3', 'emb4', 'emb5']);
  const X = await raw.transform([obs('x', 'some text')]);
  assert.equal(Array.from(X.data), Array.from(fake.vector('some text')));
  assert.ok(fake.calls.get('fake-model')! >= 2, 'the provider was asked for the configured id');

  const spec = createFeatureSpec('text', { model: 'fake-model', embedding_dims: 2 }, { embedders: fake.provider });
  const Y = await spec.fitTransform(textObs(TEXTS));
  assert.equal(spec.columns, [...TEXT_STAT_COLUMNS, 'pc1', 'pc2']);
  // the projection columns are centred with variances descending
  const { mean, std } = columnMoments(Y);
  assert.ok(Math.abs(mean[11]!) < 1e-9 && Math.abs(mean[12]!) < 1e-9);
  assert.ok(std[11]! >= std[12]! && std[12]! > 0);
});

test('embedding block through the built-in hashed embedder: "builtin" and the registry manifest id agree', async () => {
  const spec = await createFeatureSpec('text', { model: 'builtin', embedding_dims: 0, statistics: false }).fit(textObs(TEXTS.slice(0, 5)));
  assert.is(spec.dim, 256);
  const X = await spec.transform([obs('x', 'Я думаю о реке')]);
  assert.equal(Array.from(X.data), Array.from(hashEmbed('Я думаю о реке')));

  const provider = registryEmbedderProvider();
  const byId = await createFeatureSpec('text', { model: 'builtin-tiny-hashembed-none-v1.0', embedding_dims: 4 }, { embedders: provider }).fit(textObs(TEXTS));
  const byName = await createFeatureSpec('text', { model: 'builtin', embedding_dims: 4 }, { embedders: provider }).fit(textObs(TEXTS));
  assert.equal(await byId.transform(textObs(TEXTS)), await byName.transform(textObs(TEXTS)));
  const unknown = await thrown(() => createFeatureSpec('text', { model: 'no-such-model' }, { embedders: provider }).fit(textObs(TEXTS)));
  assert.match(unknown.message, /no model "no-such-model" in the registry \(known: .*builtin-tiny-hashembed-none-v1\.0/);
  const notEmbedder = await thrown(() => createFeatureSpec('text', { model: 'builtin-tiny-judge-none-v1.0' }, { embedders: provider }).fit(textObs(TEXTS)));
  assert.match(notEmbedder.message, /features\.model: model builtin-tiny-judge-none-v1\.0 cannot embed/);
});

test('embedding errors: embedding_dims above the model dimension, a changed model dimension, a bad vector', async () => {
  const fake = fakeEmbedders(6);
  const tooMany = await thrown(() => createFeatureSpec('text', { model: 'fake', embedding_dims: 7 }, { embedders: fake.provider }).fit(textObs(TEXTS)));
  assert.match(tooMany.message, /features\.embedding_dims: 7 exceeds the 6 dimensions of model fake/);

  const spec = await createFeatureSpec('text', { model: 'fake' }, { embedders: fake.provider }).fit(textObs(TEXTS));
  const state = spec.toState();
  const wider = featureSpecFromState(state, { embedders: fakeEmbedders(8).provider });
  assert.match((await thrown(() => wider.transform(textObs(TEXTS)))).message, /model fake now gives 8-dimensional vectors, spec text was fitted on 6/);

  const broken = createFeatureSpec('text', { model: 'bad' }, { embedders: async () => ({ dim: 2, embed: async (t) => t.map(() => Float32Array.of(1, NaN)) }) });
  assert.match((await thrown(() => broken.fit(textObs(['a', 'b'])))).message, /model bad gave observation o0 a vector of 2 values with a non-finite one/);
});

test('input errors: a non-string payload names obs_id and /payload; transform before fit; an empty fit set', async () => {
  const spec = createFeatureSpec('text', { spec_id: 'tx' });
  const before = await thrown(() => spec.transform(textObs(['a'])));
  assert.instance(before, MaasflowError);
  assert.match(before.message, /feature spec tx \(text\): transform needs a fitted spec; call fit\(\) first/);
  assert.throws(() => spec.version, /version needs a fitted spec/);
  assert.throws(() => spec.dim, /columns needs a fitted spec/);
  const empty = await thrown(() => spec.fit([]));
  assert.match(empty.message, /fit needs at least one observation/);
  const bad = await thrown(() => spec.fit([obs('ok', 'fine'), obs('o-17', 42)]));
  assert.is(bad.code, 'RECORD_VALIDATE');
  assert.match(bad.message, /observation o-17 \/payload: must be a string for a text spec, got number/);
  assert.not.ok(spec.fitted, 'a failed fit leaves the spec unfitted');
  await spec.fit(textObs(TEXTS));
  const v = spec.version;
  await thrown(() => spec.fit([obs('o-18', { text: 'x' })]));
  assert.is(spec.version, v, 'a failed refit leaves the fitted state as it was');
});

test('regression: features-text over a seeded bilingual corpus (statistics + 4 principal components of the built-in embedding)', async () => {
  const texts = corpus(2026, 36);
  const spec = await createFeatureSpec('text', { spec_id: 'text_regression', model: 'builtin', embedding_dims: 4 }).fit(textObs(texts.slice(0, 30)));
  const X = await spec.transform(textObs(texts));
  const state = spec.toState();
  matchesRegression('features-text', {
    texts,
    version: spec.version,
    columns: spec.columns,
    rows: toRows(X),
    fitted: { stats_mean: state.fitted!.stats_mean, stats_std: state.fitted!.stats_std, pca_variances: state.fitted!.pca_variances },
  });
});

test.run();
