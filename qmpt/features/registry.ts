/**
 * The feature-spec registry (seed 000 §4.2, docs/QMPT.md §2): specs are
 * created by name from a configuration, or restored from a saved state.
 * Built-ins: text, numeric, multimodal; users add their own with
 * registerFeatureSpec.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { FeaturesConfig } from '../types.ts';
import type { FeatureSpec, FeatureSpecContext, FeatureSpecDeps, FeatureSpecFactory, FeatureSpecState } from './base.ts';
import { defaultEmbedderProvider } from './embedder-provider.ts';
import { multiModalFeatureSpecFactory } from './multimodal.ts';
import { numericFeatureSpecFactory } from './numeric.ts';
import { isRecord, normalizeFeaturesConfig } from './options.ts';
import { textFeatureSpecFactory } from './text.ts';

const factories = new Map<string, FeatureSpecFactory>();

export function registerFeatureSpec(name: string, factory: FeatureSpecFactory): void {
  if (typeof name !== 'string' || name.length === 0) throw new MaasflowError('CONFIG', `registerFeatureSpec: the name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (factories.has(name)) throw new MaasflowError('CONFIG', `registerFeatureSpec: a feature spec named "${name}" is already registered`);
  factories.set(name, factory);
}

/** Registered names, sorted. */
export function featureSpecNames(): string[] {
  return [...factories.keys()].sort();
}

function factoryOf(kind: string, path: string): FeatureSpecFactory {
  const f = factories.get(kind);
  if (!f) throw new MaasflowError('CONFIG', `unknown feature spec kind "${kind}" (known: ${featureSpecNames().join(', ')})`, { location: { path } });
  return f;
}

function context(deps: FeatureSpecDeps): FeatureSpecContext {
  // The provider is resolved on first use, so creating a spec loads nothing.
  const embedders = deps.embedders ?? ((id: string) => defaultEmbedderProvider()(id));
  const ctx: FeatureSpecContext = {
    embedders,
    create: (config) => factoryOf(config.kind, '/features/kind').create(config, ctx),
    fromState: (state) => restore(state, ctx),
  };
  return ctx;
}

function restore(state: FeatureSpecState, ctx: FeatureSpecContext): FeatureSpec {
  if (!isRecord(state)) throw new MaasflowError('CONFIG', 'feature spec state: must be an object { kind, config, fitted }');
  if (state.fitted !== null && !isRecord(state.fitted)) throw new MaasflowError('CONFIG', `feature spec state: fitted must be an object or null`, { location: { path: '/fitted' } });
  const config = normalizeFeaturesConfig(state.config, 'config');
  if (state.kind !== config.kind) throw new MaasflowError('CONFIG', `feature spec state: kind "${String(state.kind)}" differs from config.kind "${config.kind}"`, { location: { path: '/kind' } });
  return factoryOf(config.kind, '/kind').fromState({ kind: config.kind, config, fitted: state.fitted }, ctx);
}

/** A new spec of kind `name`; options left out take FEATURE_DEFAULTS, spec_id defaults to the name. */
export function createFeatureSpec(name: string, options: Partial<FeaturesConfig> = {}, deps: FeatureSpecDeps = {}): FeatureSpec {
  factoryOf(name, '/features/kind');
  const config = normalizeFeaturesConfig({ spec_id: name, ...options, kind: name });
  return context(deps).create(config);
}

/** The spec a `features` configuration section describes. */
export function featureSpecFromConfig(config: FeaturesConfig, deps: FeatureSpecDeps = {}): FeatureSpec {
  return context(deps).create(normalizeFeaturesConfig(config));
}

/** The spec a toState() gave: the same version and the same transform. */
export function featureSpecFromState(state: FeatureSpecState, deps: FeatureSpecDeps = {}): FeatureSpec {
  return restore(state, context(deps));
}

registerFeatureSpec('text', textFeatureSpecFactory);
registerFeatureSpec('numeric', numericFeatureSpecFactory);
registerFeatureSpec('multimodal', multiModalFeatureSpecFactory);
