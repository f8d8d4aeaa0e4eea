/**
 * MultiModalFeatureSpec (docs/QMPT.md §2): one spec per modality, each with
 * a block weight wₘ. The row of an observation of modality m is m's block of
 * it scaled by wₘ at m's columns and zero elsewhere, so a pattern's mean row
 * x_Ψ combines every modality it was seen in. Blocks are laid out in sorted
 * modality order; columns are named `modality.column`.
 *
 * A block's configuration is the parent's (max_length, statistics, model,
 * embedding_dims) overridden by its `options`, with spec_id `parent.modality`.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { matrix } from '../matrix.ts';
import type { FeaturesConfig, Matrix, Observation } from '../types.ts';
import { AbstractFeatureSpec, payloadError, stateError, type FeatureSpec, type FeatureSpecContext, type FeatureSpecFactory, type FeatureSpecState } from './base.ts';
import { isRecord, normalizeFeaturesConfig } from './options.ts';

interface BlockConfig {
  modality: string;
  weight: number;
  config: FeaturesConfig;
}

interface FittedBlock extends BlockConfig {
  spec: FeatureSpec;
  /** First column of the block in a row. */
  offset: number;
}

export class MultiModalFeatureSpec extends AbstractFeatureSpec {
  private readonly blockConfigs: readonly BlockConfig[];
  private blocks: readonly FittedBlock[] | null = null;

  constructor(
    config: FeaturesConfig,
    private readonly ctx: FeatureSpecContext,
  ) {
    super(config);
    const modalities = config.modalities ?? {};
    const names = Object.keys(modalities).sort();
    if (names.length === 0) throw new MaasflowError('CONFIG', `features.modalities: multimodal spec ${config.spec_id} needs at least one modality`, { location: { path: '/features/modalities' } });
    const inherited: Record<string, unknown> = { max_length: config.max_length, statistics: config.statistics, embedding_dims: config.embedding_dims };
    if (config.model !== undefined) inherited.model = config.model;
    this.blockConfigs = names.map((modality) => {
      const { kind, weight, options } = modalities[modality]!;
      const raw = { ...inherited, spec_id: `${config.spec_id}.${modality}`, ...options, kind };
      return { modality, weight, config: normalizeFeaturesConfig(raw, `features.modalities.${modality}.options`) };
    });
    // Built now so that a block's own configuration errors surface at creation, not at fit.
    for (const b of this.blockConfigs) ctx.create(b.config);
  }

  get fitted(): boolean {
    return this.blocks !== null;
  }

  /** The modalities with their weights and column ranges (after fit). */
  get layout(): { modality: string; weight: number; offset: number; dim: number }[] {
    this.requireFitted('layout');
    return this.blocks!.map((b) => ({ modality: b.modality, weight: b.weight, offset: b.offset, dim: b.spec.dim }));
  }

  protected fittedColumns(): readonly string[] {
    return this.blocks!.flatMap((b) => b.spec.columns.map((c) => `${b.modality}.${c}`));
  }

  protected async learn(obs: readonly Observation[]): Promise<Matrix> {
    const groups = this.group(obs);
    // Fresh block specs, swapped in only when every block fitted: a failed fit leaves the spec as it was.
    const fitted: { spec: FeatureSpec; rows: Matrix }[] = [];
    for (const b of this.blockConfigs) {
      const idx = groups.get(b.modality);
      if (!idx) throw new MaasflowError('RECORD_VALIDATE', `feature spec ${this.id} (multimodal): no observation of modality "${b.modality}" to fit its block on`);
      const spec = this.ctx.create(b.config);
      fitted.push({ spec, rows: await spec.fitTransform(idx.map((i) => obs[i]!)) });
    }
    const blocks = this.layoutBlocks(fitted.map((f) => f.spec));
    this.blocks = blocks;
    return this.assemble(obs.length, groups, fitted.map((f) => f.rows));
  }

  protected async apply(obs: readonly Observation[]): Promise<Matrix> {
    const groups = this.group(obs);
    const parts: (Matrix | null)[] = [];
    for (const b of this.blocks!) {
      const idx = groups.get(b.modality);
      parts.push(idx ? await b.spec.transform(idx.map((i) => obs[i]!)) : null);
    }
    return this.assemble(obs.length, groups, parts);
  }

  protected fittedState(): Record<string, unknown> {
    return { blocks: Object.fromEntries(this.blocks!.map((b) => [b.modality, b.spec.toState()])) };
  }

  restore(state: FeatureSpecState): this {
    const f = state.fitted;
    if (f === null) return this;
    const saved = f.blocks;
    if (!isRecord(saved)) throw stateError(state, 'blocks', 'must be an object of modality → block state');
    const specs = this.blockConfigs.map((b) => {
      const s = saved[b.modality];
      if (!isRecord(s) || !isRecord(s.config) || !isRecord(s.fitted) || typeof s.kind !== 'string') throw stateError(state, `blocks.${b.modality}`, 'must be a fitted block state { kind, config, fitted }');
      if (s.kind !== b.config.kind) throw stateError(state, `blocks.${b.modality}.kind`, `is "${s.kind}", the configuration says "${b.config.kind}"`);
      return this.ctx.fromState(s as unknown as FeatureSpecState);
    });
    this.blocks = this.layoutBlocks(specs);
    return this;
  }

  private layoutBlocks(specs: readonly FeatureSpec[]): FittedBlock[] {
    let offset = 0;
    return this.blockConfigs.map((b, i) => {
      const spec = specs[i]!;
      const block = { ...b, spec, offset };
      offset += spec.dim;
      return block;
    });
  }

  /** Row indices per modality; an observation of a modality with no block is an error. */
  private group(obs: readonly Observation[]): Map<string, number[]> {
    const known = new Set(this.blockConfigs.map((b) => b.modality));
    const groups = new Map<string, number[]>();
    obs.forEach((o, i) => {
      if (!known.has(o.modality)) throw payloadError(this, o, '/modality', `"${o.modality}" has no block in this spec (modalities: ${[...known].join(', ')})`);
      const g = groups.get(o.modality);
      if (g) g.push(i);
      else groups.set(o.modality, [i]);
    });
    return groups;
  }

  /** parts[b]: block b's rows of its modality's observations (null: none in this batch). */
  private assemble(n: number, groups: Map<string, number[]>, parts: readonly (Matrix | null)[]): Matrix {
    const blocks = this.blocks!;
    const width = blocks.reduce((s, b) => s + b.spec.dim, 0);
    const out = matrix(n, width);
    blocks.forEach((b, k) => {
      const part = parts[k];
      if (!part) return;
      const idx = groups.get(b.modality)!;
      const d = part.cols;
      for (let r = 0; r < idx.length; r++) {
        const src = r * d;
        const dst = idx[r]! * width + b.offset;
        for (let j = 0; j < d; j++) out.data[dst + j] = b.weight * part.data[src + j]!;
      }
    });
    return out;
  }
}

export const multiModalFeatureSpecFactory: FeatureSpecFactory = {
  create: (config, ctx) => new MultiModalFeatureSpec(config, ctx),
  fromState: (state, ctx) => new MultiModalFeatureSpec(state.config, ctx).restore(state),
};
