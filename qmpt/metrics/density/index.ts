/**
 * The density models of the anomaly score (docs/QMPT.md §3.1): fitDensity
 * picks the Gaussian mixture or the kernel density by config.density_model;
 * densityFromState rebuilds either from its JSON state.
 */
import { badArgument } from '../../../operators/stats/check.ts';
import type { AnomalyConfig, Matrix } from '../../types.ts';
import type { DensityModel, DensityState } from './density.ts';
import type { ChunkExecutor } from './executor.ts';
import { fitGmm, gmmFromState } from './gmm.ts';
import { fitKde, kdeFromState } from './kde.ts';
import { checkSeed } from './validate.ts';

export type { DensityModel, DensityState, GaussianSet } from './density.ts';
export { CHUNK_ROWS, inlineExecutor, runChunks, sumChunks } from './executor.ts';
export type { ChunkExecutor, ChunkInput, ChunkKernel, ChunkSession } from './executor.ts';
export { fitGmm, GmmDensity } from './gmm.ts';
export type { GmmCandidate, GmmDiagnostics, GmmFit, GmmFitOptions } from './gmm.ts';
export { bandwidthFactor, fitKde, KdeDensity } from './kde.ts';
export { kmeans, kmeansPlusPlus } from './kmeans.ts';
export type { KmeansResult } from './kmeans.ts';
export type { ChunkParams, ChunkTaskName } from './tasks.ts';

export interface FitDensityOptions {
  /** Default config.seed. */
  seed?: number;
  /** Where the GMM's chunks run; default the main thread. */
  executor?: ChunkExecutor;
}

export async function fitDensity(X: Matrix, config: AnomalyConfig, options: FitDensityOptions = {}): Promise<DensityModel> {
  if (config === null || typeof config !== 'object') throw badArgument('fitDensity', 'config', 'must be an anomaly config object');
  const seed = checkSeed('fitDensity', options.seed ?? config.seed);
  switch (config.density_model) {
    case 'gmm':
      return (await fitGmm(X, config.gmm, { seed, ...(options.executor ? { executor: options.executor } : {}) })).model;
    case 'kde':
      return fitKde(X, config.kde, seed);
    default:
      throw badArgument('fitDensity', 'density_model', `= ${JSON.stringify(config.density_model)} must be "gmm" or "kde"`);
  }
}

export function densityFromState(state: DensityState): DensityModel {
  if (state === null || typeof state !== 'object') throw badArgument('densityFromState', 'state', 'must be a density state object');
  switch (state.kind) {
    case 'gmm':
      return gmmFromState(state);
    case 'kde':
      return kdeFromState(state);
    default:
      throw badArgument('densityFromState', 'kind', `= ${JSON.stringify((state as { kind: unknown }).kind)} must be "gmm" or "kde"`);
  }
}
