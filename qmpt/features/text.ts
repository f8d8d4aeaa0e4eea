/**
 * TextFeatureSpec (docs/QMPT.md §2): the payload string, cut to max_length
 * code points, gives the statistics block z-scored with the fit set's
 * moments (when `statistics`) and the embedding block (when `model`): the
 * embedder's vectors projected on the fit set's first `embedding_dims`
 * principal components, or raw when embedding_dims is 0.
 */
import { MaasflowError } from '../../engine/errors.ts';
import { matrix } from '../matrix.ts';
import type { FeaturesConfig, Matrix, Observation } from '../types.ts';
import { AbstractFeatureSpec, payloadError, stateError, stateNumbers, type FeatureSpecFactory, type FeatureSpecState } from './base.ts';
import type { EmbedderProvider } from './embedder-provider.ts';
import { fitPca, projectPca, type PcaModel } from './pca.ts';
import { fitColumnMoments, standardizeInPlace, type ColumnMoments } from './standardize.ts';
import { TEXT_STAT_COLUMNS, textStatistics } from './text-stats.ts';

const N_STATS = TEXT_STAT_COLUMNS.length;
/** Texts per embedder call: bounds what one call holds for a large fit set. */
const EMBED_BATCH = 256;

interface TextFitted {
  moments: ColumnMoments | null;
  /** The embedder's dimension at fit (null: no embedding block). */
  embeddingDim: number | null;
  pca: PcaModel | null;
}

/** The first `n` code points of `s` (a surrogate pair is never split). */
export function cutToCodePoints(s: string, n: number): string {
  if (s.length <= n) return s;
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return s.slice(0, i);
}

export class TextFeatureSpec extends AbstractFeatureSpec {
  private state: TextFitted | null = null;

  constructor(
    config: FeaturesConfig,
    private readonly embedders: EmbedderProvider,
  ) {
    super(config);
    if (!config.statistics && config.model === undefined) {
      throw new MaasflowError('CONFIG', `features.statistics: text spec ${config.spec_id} has no column: set statistics: true or a model`, { location: { path: '/features/statistics' } });
    }
  }

  get fitted(): boolean {
    return this.state !== null;
  }

  protected fittedColumns(): readonly string[] {
    const s = this.state!;
    const cols: string[] = s.moments ? [...TEXT_STAT_COLUMNS] : [];
    if (s.pca) for (let i = 0; i < s.pca.k; i++) cols.push(`pc${i + 1}`);
    else if (s.embeddingDim !== null) for (let i = 0; i < s.embeddingDim; i++) cols.push(`emb${i}`);
    return cols;
  }

  protected async learn(obs: readonly Observation[]): Promise<Matrix> {
    const texts = this.texts(obs);
    const stats = this.config.statistics ? rawStatistics(texts) : null;
    const moments = stats ? fitColumnMoments(stats) : null;
    const E = await this.embed(texts, obs, null);
    let pca: PcaModel | null = null;
    if (E && this.config.embedding_dims > 0) {
      if (this.config.embedding_dims > E.cols) {
        throw new MaasflowError('CONFIG', `features.embedding_dims: ${this.config.embedding_dims} exceeds the ${E.cols} dimensions of model ${this.config.model} (spec ${this.id})`, { location: { path: '/features/embedding_dims' } });
      }
      pca = fitPca(E, this.config.embedding_dims);
    }
    const state: TextFitted = { moments, embeddingDim: E ? E.cols : null, pca };
    const rows = assemble(state, stats, E, obs.length);
    this.state = state;
    return rows;
  }

  protected async apply(obs: readonly Observation[]): Promise<Matrix> {
    const s = this.state!;
    const texts = this.texts(obs);
    const stats = s.moments ? rawStatistics(texts) : null;
    const E = await this.embed(texts, obs, s.embeddingDim);
    return assemble(s, stats, E, obs.length);
  }

  protected fittedState(): Record<string, unknown> {
    const { moments, embeddingDim, pca } = this.state!;
    return {
      stats_mean: moments ? Array.from(moments.mean) : null,
      stats_std: moments ? Array.from(moments.std) : null,
      embedding_dim: embeddingDim,
      pca_mean: pca ? Array.from(pca.mean) : null,
      pca_components: pca ? Array.from(pca.components) : null,
      pca_variances: pca ? Array.from(pca.variances) : null,
    };
  }

  /** Restores the fitted state a toState() gave. */
  restore(state: FeatureSpecState): this {
    const f = state.fitted;
    if (f === null) return this;
    const moments = this.config.statistics ? { mean: stateNumbers(state, f, 'stats_mean', N_STATS), std: stateNumbers(state, f, 'stats_std', N_STATS) } : null;
    const d = f.embedding_dim;
    const wantsEmbedding = this.config.model !== undefined;
    if (wantsEmbedding !== (typeof d === 'number' && Number.isInteger(d) && d > 0)) throw stateError(state, 'embedding_dim', wantsEmbedding ? 'must be the embedder dimension (an integer > 0)' : 'must be null: the spec has no model');
    const embeddingDim = wantsEmbedding ? (d as number) : null;
    let pca: PcaModel | null = null;
    const k = this.config.embedding_dims;
    if (embeddingDim !== null && k > 0) {
      pca = { d: embeddingDim, k, mean: stateNumbers(state, f, 'pca_mean', embeddingDim), components: stateNumbers(state, f, 'pca_components', k * embeddingDim), variances: stateNumbers(state, f, 'pca_variances', k) };
    }
    this.state = { moments, embeddingDim, pca };
    return this;
  }

  private texts(obs: readonly Observation[]): string[] {
    return obs.map((o) => {
      if (typeof o.payload !== 'string') throw payloadError(this, o, '/payload', `must be a string for a text spec, got ${o.payload === null ? 'null' : Array.isArray(o.payload) ? 'an array' : typeof o.payload}`);
      return cutToCodePoints(o.payload, this.config.max_length);
    });
  }

  /** The n×D embeddings (null without a model); `expectedDim` is the dimension the spec was fitted with. */
  private async embed(texts: readonly string[], obs: readonly Observation[], expectedDim: number | null): Promise<Matrix | null> {
    const model = this.config.model;
    if (model === undefined) return null;
    const embedder = await this.embedders(model);
    const D = embedder.dim;
    if (expectedDim !== null && D !== expectedDim) {
      throw new MaasflowError('CONFIG', `features.model: model ${model} now gives ${D}-dimensional vectors, spec ${this.id} was fitted on ${expectedDim}`, { location: { path: '/features/model' } });
    }
    const E = matrix(texts.length, D);
    for (let start = 0; start < texts.length; start += EMBED_BATCH) {
      const vectors = await embedder.embed(texts.slice(start, start + EMBED_BATCH));
      if (vectors.length !== Math.min(EMBED_BATCH, texts.length - start)) throw new MaasflowError('RUNTIME', `model ${model} returned ${vectors.length} vectors for ${Math.min(EMBED_BATCH, texts.length - start)} texts`);
      vectors.forEach((v, j) => {
        const i = start + j;
        if (v.length !== D || !v.every(Number.isFinite)) throw new MaasflowError('RUNTIME', `model ${model} gave observation ${obs[i]!.obs_id} a vector of ${v.length} values${v.length === D ? ' with a non-finite one' : `, its dim is ${D}`}`);
        E.data.set(v, i * D);
      });
    }
    return E;
  }
}

function rawStatistics(texts: readonly string[]): Matrix {
  const S = matrix(texts.length, N_STATS);
  texts.forEach((t, i) => textStatistics(t, S.data, i * N_STATS));
  return S;
}

/** The rows: z-scored statistics, then the embedding block (projected or raw). */
function assemble(s: TextFitted, stats: Matrix | null, E: Matrix | null, n: number): Matrix {
  const nStats = s.moments ? N_STATS : 0;
  const nEmb = s.pca ? s.pca.k : (s.embeddingDim ?? 0);
  const out = matrix(n, nStats + nEmb);
  if (stats && s.moments) {
    for (let i = 0; i < n; i++) out.data.set(stats.data.subarray(i * N_STATS, (i + 1) * N_STATS), i * out.cols);
    standardizeInPlace(out, s.moments, 0);
  }
  if (E && s.pca) projectPca(s.pca, E, out, nStats);
  else if (E) for (let i = 0; i < n; i++) out.data.set(E.data.subarray(i * E.cols, (i + 1) * E.cols), i * out.cols + nStats);
  return out;
}

export const textFeatureSpecFactory: FeatureSpecFactory = {
  create: (config, ctx) => new TextFeatureSpec(config, ctx.embedders),
  fromState: (state, ctx) => new TextFeatureSpec(state.config, ctx.embedders).restore(state),
};
