/**
 * The layers of a scoring run (docs/QMPT.md §6): per layer_id its patterns
 * and its σ, P, S trajectory measured from its observations' Â on the
 * metrics.layer grid, coherence from its patterns' R̂_norm.
 */
import { layerMetrics, type ScoredObservation } from '../metrics/layer-metrics.ts';
import type { Layer, Pattern, QmptConfig } from '../types.ts';
import type { ScoredObservationRow } from './score.ts';

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Per layer: its patterns and its σ, P, S trajectory from its observations' Â (§6). */
export function measureLayers(rows: readonly ScoredObservationRow[], patterns: ReadonlyMap<string, Pattern>, config: QmptConfig): Layer[] {
  const byLayer = new Map<string, ScoredObservation[]>();
  for (const r of rows) {
    const list = byLayer.get(r.layer_id);
    const scored: ScoredObservation = { obs_id: r.obs_id, pattern_id: r.pattern_id, timestamp: r.timestamp, anomaly: r.anomaly };
    if (list) list.push(scored);
    else byLayer.set(r.layer_id, [scored]);
  }
  return [...byLayer.keys()].sort(byString).map((layerId) => {
    const scores = byLayer.get(layerId)!;
    const ids = [...new Set(scores.map((s) => s.pattern_id))].sort(byString);
    const reflexivity = new Map<string, number>();
    for (const id of ids) {
      const r = patterns.get(id)!.reflexivity;
      if (r !== null) reflexivity.set(id, r);
    }
    const trajectory = layerMetrics({ scores, patternReflexivity: reflexivity, config: config.metrics.layer, threshold: config.metrics.anomaly.threshold });
    return {
      layer_id: layerId,
      description: `measured from ${scores.length} observations (window ${config.metrics.layer.window} s, step ${config.metrics.layer.step} s)`,
      patterns: ids,
      state_trajectory: trajectory,
    };
  });
}
