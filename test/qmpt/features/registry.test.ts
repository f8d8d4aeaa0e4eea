/** The feature-spec registry: built-ins, user specs, duplicate and unknown names, configuration and state errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AbstractFeatureSpec, type FeatureSpecFactory, type FeatureSpecState } from '../../../qmpt/features/base.ts';
import { createFeatureSpec, featureSpecFromConfig, featureSpecFromState, featureSpecNames, registerFeatureSpec } from '../../../qmpt/features/registry.ts';
import { fromRows } from '../../../qmpt/matrix.ts';
import type { FeaturesConfig, Matrix, Observation } from '../../../qmpt/types.ts';
import { obs, textObs } from './helpers.ts';

/** A user spec: the payload's length, shifted by the fit set's mean length. */
class LengthSpec extends AbstractFeatureSpec {
  private meanLength: number | null = null;
  constructor(config: FeaturesConfig) {
    super(config);
  }
  get fitted(): boolean {
    return this.meanLength !== null;
  }
  protected fittedColumns(): readonly string[] {
    return ['length'];
  }
  protected fittedState(): Record<string, unknown> {
    return { mean_length: this.meanLength };
  }
  protected async learn(o: readonly Observation[]): Promise<Matrix> {
    this.meanLength = o.reduce((s, x) => s + String(x.payload).length, 0) / o.length;
    return this.apply(o);
  }
  protected async apply(o: readonly Observation[]): Promise<Matrix> {
    return fromRows(o.map((x) => [String(x.payload).length - this.meanLength!]));
  }
  restore(state: FeatureSpecState): this {
    this.meanLength = state.fitted === null ? null : (state.fitted.mean_length as number);
    return this;
  }
}

const lengthFactory: FeatureSpecFactory = {
  create: (config) => new LengthSpec(config),
  fromState: (state) => new LengthSpec(state.config).restore(state),
};

test('the built-ins are registered; names come sorted', () => {
  const names = featureSpecNames();
  for (const n of ['multimodal', 'numeric', 'text']) assert.ok(names.includes(n), n);
  assert.equal(names, [...names].sort());
});

test('a user spec registers once, is created by name and restored from its state; a second registration is an error', async () => {
  registerFeatureSpec('length', lengthFactory);
  assert.ok(featureSpecNames().includes('length'));
  assert.throws(() => registerFeatureSpec('length', lengthFactory), /a feature spec named "length" is already registered/);
  assert.throws(() => registerFeatureSpec('text', lengthFactory), /"text" is already registered/);
  const spec = await createFeatureSpec('length').fit(textObs(['ab', 'abcd']));
  assert.is(spec.id, 'length');
  assert.is(spec.kind, 'length');
  assert.equal(Array.from((await spec.transform([obs('x', 'abcdef')])).data), [3]);
  const back = featureSpecFromState(JSON.parse(JSON.stringify(spec.toState())));
  assert.is(back.version, spec.version);
  assert.match(spec.version, /^length#[0-9a-f]{8}$/);
});

test('an unknown name lists the known ones', () => {
  assert.throws(() => createFeatureSpec('nope'), /unknown feature spec kind "nope" \(known: .*multimodal, numeric, text\)/);
  assert.throws(() => featureSpecFromConfig({ spec_id: 's', kind: 'nope', max_length: 10, statistics: true, embedding_dims: 0 }), /unknown feature spec kind "nope"/);
});

test('createFeatureSpec fills defaults; configuration errors name the field', () => {
  const spec = createFeatureSpec('text');
  assert.equal(spec.config, { spec_id: 'text', kind: 'text', max_length: 4096, statistics: true, embedding_dims: 0 });
  assert.throws(() => createFeatureSpec('text', { embedding_dims: -1 }), /features\.embedding_dims: must be >= 0, got -1/);
  assert.throws(() => createFeatureSpec('text', { max_length: 2.5 }), /features\.max_length: must be integer, got 2\.5/);
  assert.throws(() => createFeatureSpec('text', { statistics: 'yes' as unknown as boolean }), /features\.statistics: must be boolean, got "yes"/);
  assert.throws(() => createFeatureSpec('text', { model: '' }), /features\.model: must NOT have fewer than 1 characters, got ""/);
  assert.throws(() => createFeatureSpec('text', { statistics: false }), /features\.statistics: text spec text has no column: set statistics: true or a model/);
  assert.throws(() => createFeatureSpec('text', { spec_id: '' }), /features\.spec_id: must NOT have fewer than 1 characters/);
  assert.throws(() => createFeatureSpec('text', { maxLength: 3 } as unknown as Partial<FeaturesConfig>), /features\.maxLength: unknown field/);
  assert.throws(() => createFeatureSpec('text', { max_length: Number.NaN }), /features\.max_length: must be integer, got NaN/);
  const err = (() => {
    try {
      createFeatureSpec('text', { embedding_dims: -1 });
    } catch (e) {
      return e as { code?: string; location?: unknown };
    }
    return {};
  })();
  assert.is(err.code, 'CONFIG');
  assert.equal(err.location, { path: '/features/embedding_dims' });
});

test('featureSpecFromState rejects a broken state with the field named', () => {
  const good = createFeatureSpec('text').toState();
  assert.throws(() => featureSpecFromState({ ...good, kind: 'numeric' }), /kind "numeric" differs from config\.kind "text"/);
  assert.throws(() => featureSpecFromState({ ...good, config: { ...good.config, max_length: -3 } }), /config\.max_length: must be >= 1, got -3/);
  assert.throws(() => featureSpecFromState({ ...good, fitted: { stats_mean: [1] } }), /fitted\.stats_mean: must hold 11 numbers, holds 1/);
  assert.throws(() => featureSpecFromState({ ...good, fitted: 'x' as unknown as Record<string, unknown> }), /fitted must be an object or null/);
});

test('creating a spec loads no embedder: the provider is asked on the first fit', async () => {
  let asked = 0;
  const spec = createFeatureSpec('text', { model: 'm' }, { embedders: async () => (asked++, { dim: 1, embed: async (t) => t.map(() => Float32Array.of(1)) }) });
  assert.is(asked, 0);
  await spec.fit(textObs(['a']));
  assert.ok(asked > 0);
});

test.run();
