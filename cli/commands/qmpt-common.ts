/**
 * What the `maasflow qmpt` subcommands share: configs merged in order over
 * the defaults, output paths, and the lines and metrics that summarise
 * scored patterns.
 */
import path from 'node:path';
import { DEFAULT_CONFIG, loadConfig } from '../../qmpt/config/loader.ts';
import type { DegradedPattern } from '../../qmpt/pipeline/score.ts';
import type { Pattern, QmptConfig } from '../../qmpt/types.ts';
import { summarizeScores, topAnomalies } from '../../qmpt/viz/pattern-scores.ts';

/** `--config` files or shipped names, each merged over the previous result; `fallback` when none is given. */
export function loadConfigs(given: readonly string[] | undefined, fallback: readonly string[] = []): QmptConfig {
  let config = structuredClone(DEFAULT_CONFIG) as QmptConfig;
  for (const file of given && given.length > 0 ? given : fallback) config = loadConfig(file, { base: config });
  return config;
}

/** `--name FILE` when given, else DIR/default. */
export function outputPath(given: string | undefined, dir: string, fallback: string): string {
  return given ?? path.join(dir, fallback);
}

export const f3 = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v.toFixed(3));

export interface PatternFigures {
  patterns: number;
  scored: number;
  anomalous: number;
  share_anomalous: number | null;
  mean_anomaly: number | null;
  mean_reflexivity: number | null;
  mean_self_operator: number | null;
  top: { pattern_id: string; layer_id: string; anomaly: number }[];
}

/** Counts, means and the top anomalies (qmpt/viz/pattern-scores.ts computes them as the report does). */
export function patternFigures(patterns: Iterable<Pattern>, threshold: number, top = 5): PatternFigures {
  const all = [...patterns];
  const anomaly = summarizeScores(all, 'anomaly_score', threshold);
  const anomalous = anomaly.atOrAbove ?? 0;
  return {
    patterns: all.length,
    scored: anomaly.scored,
    anomalous,
    share_anomalous: anomaly.scored === 0 ? null : anomalous / anomaly.scored,
    mean_anomaly: anomaly.mean,
    mean_reflexivity: summarizeScores(all, 'reflexivity').mean,
    mean_self_operator: summarizeScores(all, 'self_operator').mean,
    top: topAnomalies(all, top).map((p) => ({ pattern_id: p.pattern_id, layer_id: p.layer_id, anomaly: p.anomaly_score! })),
  };
}

/** The human lines: counts, anomalous patterns and the top anomalies with their Â. */
export function patternLines(figures: PatternFigures, threshold: number): string[] {
  const lines = [`anomalous patterns (Â ≥ ${threshold}): ${figures.anomalous} of ${figures.scored} scored; mean Â ${f3(figures.mean_anomaly)}, mean R̂_norm ${f3(figures.mean_reflexivity)}, mean Ô_self ${f3(figures.mean_self_operator)}`];
  if (figures.top.length > 0) {
    lines.push(`top ${figures.top.length} anomalies:`);
    const width = Math.max(...figures.top.map((t) => t.pattern_id.length));
    figures.top.forEach((t, i) => lines.push(`  ${i + 1}. ${t.pattern_id.padEnd(width)}  Â ${f3(t.anomaly)}  (layer ${t.layer_id})`));
  }
  return lines;
}

const PART_NAMES: Record<string, string> = { s_self: 's_self', s_meta: 's_meta', s_pop: 's_pop', s_R: 's_R', r_text: 'r_text (no text token)', r_dyn: 'r_dyn (fewer than 2 observations)' };

/** One warning per kind of degradation, with how many patterns and a few of their ids. */
export function degradedWarnings(degraded: readonly DegradedPattern[]): string[] {
  const groups = new Map<string, string[]>();
  const add = (key: string, id: string): void => {
    const ids = groups.get(key);
    if (ids) ids.push(id);
    else groups.set(key, [id]);
  };
  for (const d of degraded) {
    if (d.reflexivity_missing.length > 0) add(`R̂_norm without ${d.reflexivity_missing.map((m) => PART_NAMES[m] ?? m).join(', ')}`, d.pattern_id);
    if (d.self_operator_missing.length > 0) {
      const noReport = d.self_operator_missing.includes('s_self') ? ' (no self-report)' : '';
      add(`Ô_self without ${d.self_operator_missing.map((m) => PART_NAMES[m] ?? m).join(', ')}${noReport}`, d.pattern_id);
    }
  }
  return [...groups].map(([what, ids]) => `${ids.length} pattern${ids.length === 1 ? '' : 's'} scored degraded: ${what}; e.g. ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''}`);
}
