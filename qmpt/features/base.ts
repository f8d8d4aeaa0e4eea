/**
 * The FeatureSpec interface (seed 000 §4.1, docs/QMPT.md §2): an observation
 * → a row φ(o) ∈ ℝ^d, learnt on a fit set. `AbstractFeatureSpec` holds what
 * every spec shares: the fitted guard, the version, fitTransform, toState.
 */
import { MaasflowError } from '../../engine/errors.ts';
import type { FeaturesConfig, Matrix, Observation } from '../types.ts';
import { versionHash } from '../version.ts';
import type { EmbedderProvider } from './embedder-provider.ts';

/** A spec as plain JSON: enough to rebuild it (featureSpecFromState) with the same version and transform. */
export interface FeatureSpecState {
  kind: string;
  config: FeaturesConfig;
  /** What fit learnt (moments, PCA axes, columns), plain JSON; null before fit. */
  fitted: Record<string, unknown> | null;
}

export interface FeatureSpec {
  /** The config's spec_id. */
  readonly id: string;
  /** The registered name it was created by. */
  readonly kind: string;
  readonly config: FeaturesConfig;
  readonly fitted: boolean;
  /** `spec_id#h`, h the first 8 hex digits of the SHA-256 of config and fitted state (after fit). */
  readonly version: string;
  /** Columns of a row (after fit). */
  readonly dim: number;
  /** A name per column (after fit). */
  readonly columns: readonly string[];
  fit(obs: readonly Observation[]): Promise<this>;
  /** One row per observation, in order. */
  transform(obs: readonly Observation[]): Promise<Matrix>;
  /** fit, then the fit set's rows (the same as transform of it, computed once). */
  fitTransform(obs: readonly Observation[]): Promise<Matrix>;
  toState(): FeatureSpecState;
}

/** What a spec may need from outside; every field has a default. */
export interface FeatureSpecDeps {
  /** Embedders for the text spec's `model` (default: defaultEmbedderProvider()). */
  embedders?: EmbedderProvider;
}

/** What a factory gets: the dependencies, and the registry itself for specs made of specs (multimodal). */
export interface FeatureSpecContext {
  readonly embedders: EmbedderProvider;
  create(config: FeaturesConfig): FeatureSpec;
  fromState(state: FeatureSpecState): FeatureSpec;
}

export interface FeatureSpecFactory {
  /** A new, unfitted spec; `config` is already checked by normalizeFeaturesConfig. */
  create(config: FeaturesConfig, ctx: FeatureSpecContext): FeatureSpec;
  /** The spec a toState() gave (fitted or not). */
  fromState(state: FeatureSpecState, ctx: FeatureSpecContext): FeatureSpec;
}

export abstract class AbstractFeatureSpec implements FeatureSpec {
  readonly id: string;
  readonly kind: string;
  private cachedVersion: string | null = null;

  protected constructor(readonly config: FeaturesConfig) {
    this.id = config.spec_id;
    this.kind = config.kind;
  }

  abstract get fitted(): boolean;
  /** Column names; called only when fitted. */
  protected abstract fittedColumns(): readonly string[];
  /** The fitted state as plain JSON; called only when fitted. */
  protected abstract fittedState(): Record<string, unknown>;
  /** Learns from a non-empty fit set (all or nothing: a throw leaves the spec as it was) and returns the fit set's rows. */
  protected abstract learn(obs: readonly Observation[]): Promise<Matrix>;
  /** The rows of `obs`; called only when fitted. */
  protected abstract apply(obs: readonly Observation[]): Promise<Matrix>;

  get version(): string {
    this.requireFitted('version');
    this.cachedVersion ??= `${this.id}#${versionHash(this.toState())}`;
    return this.cachedVersion;
  }

  get columns(): readonly string[] {
    this.requireFitted('columns');
    return this.fittedColumns();
  }

  get dim(): number {
    return this.columns.length;
  }

  async fit(obs: readonly Observation[]): Promise<this> {
    await this.fitTransform(obs);
    return this;
  }

  async fitTransform(obs: readonly Observation[]): Promise<Matrix> {
    if (obs.length === 0) throw new MaasflowError('RUNTIME', `feature spec ${this.id} (${this.kind}): fit needs at least one observation, got none`);
    const rows = await this.learn(obs);
    this.cachedVersion = null;
    return rows;
  }

  async transform(obs: readonly Observation[]): Promise<Matrix> {
    this.requireFitted('transform');
    return this.apply(obs);
  }

  toState(): FeatureSpecState {
    const config = JSON.parse(JSON.stringify(this.config)) as FeaturesConfig;
    return { kind: this.kind, config, fitted: this.fitted ? this.fittedState() : null };
  }

  protected requireFitted(what: string): void {
    if (!this.fitted) throw new MaasflowError('RUNTIME', `feature spec ${this.id} (${this.kind}): ${what} needs a fitted spec; call fit() first`);
  }
}

/** Observation `o`'s payload is not what the spec reads: the error names the spec, the obs_id and the path. */
export function payloadError(spec: FeatureSpec, o: Observation, path: string, message: string): MaasflowError {
  return new MaasflowError('RECORD_VALIDATE', `feature spec ${spec.id} (${spec.kind}): observation ${o.obs_id} ${path}: ${message}`, { location: { path } });
}

/** A restored state's field is missing or malformed. */
export function stateError(state: FeatureSpecState, field: string, message: string): MaasflowError {
  return new MaasflowError('CONFIG', `feature spec state ${state.config.spec_id} (${state.kind}): fitted.${field}: ${message}`, { location: { path: `/fitted/${field.split('.').join('/')}` } });
}

/** A finite-number array field of a restored state, of `length` values when given. */
export function stateNumbers(state: FeatureSpecState, fitted: Record<string, unknown>, field: string, length?: number): Float64Array {
  const v = fitted[field];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw stateError(state, field, 'must be an array of finite numbers');
  if (length !== undefined && v.length !== length) throw stateError(state, field, `must hold ${length} numbers, holds ${v.length}`);
  return Float64Array.from(v as number[]);
}

/** A string-array field of a restored state. */
export function stateStrings(state: FeatureSpecState, fitted: Record<string, unknown>, field: string): string[] {
  const v = fitted[field];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw stateError(state, field, 'must be an array of strings');
  return [...(v as string[])];
}
