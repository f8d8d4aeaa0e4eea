/**
 * `maasflow qmpt`: the QMPT toolkit from the command line (docs/QMPT.md,
 * seed 000 §9). `score` scores observations into patterns, per-observation
 * scores and measured layers with a report; `simulate` runs a layer
 * scenario; `report` renders the report of scored patterns; `generate`
 * writes seeded synthetic observations to try `score` on.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { MaasflowError } from '../../engine/errors.ts';
import { createQmptPool } from '../../operators/qmpt/pool.ts';
import { loadLayers, loadObservations, loadPatterns, saveLayers, saveObservations, savePatterns } from '../../qmpt/data/io.ts';
import { generateObservations } from '../../qmpt/data/synthetic.ts';
import { scoreReport } from '../../qmpt/pipeline/report.ts';
import { scoreObservations } from '../../qmpt/pipeline/score.ts';
import { saveObservationScores } from '../../qmpt/pipeline/scores-io.ts';
import { loadSelfReports } from '../../qmpt/pipeline/self-reports.ts';
import { writeReport } from '../../qmpt/viz/reports.ts';
import { parseCount, runCommand } from '../output.ts';
import { degradedWarnings, loadConfigs, outputPath, patternFigures, patternLines } from './qmpt-common.ts';
import { registerQmptSimulate } from './qmpt-simulate.ts';

interface ScoreFlags { input: string; config?: string[]; out: string; patterns?: string; scores?: string; layers?: string; selfReports?: string; threads: string; report: boolean; jsonMetrics?: string }
interface ReportFlags { patterns: string; layers?: string; config?: string[]; out: string; jsonMetrics?: string }
interface GenerateFlags { out: string; seed: string; patterns: string; anomalous: string; reflexive: string; modalities: string; jsonMetrics?: string }

const MODALITIES = ['text', 'behavior'] as const;
const CONFIG_HELP = 'a QMPT config file or shipped name (features_text, metrics_default, simulation_default); several merge in order over the defaults';

export function registerQmptCommands(program: Command): void {
  const qmpt = program.command('qmpt').description('the QMPT toolkit: anomaly, reflexivity and self-operator scores, layer metrics and simulation (docs/QMPT.md)');

  qmpt
    .command('score')
    .description('score observations (.jsonl, .parquet or .duckdb): patterns, per-observation scores, layers with their trajectories, a Markdown report')
    .requiredOption('--input <file>', 'the observations')
    .option('--config <file|name...>', CONFIG_HELP)
    .option('--out <dir>', 'output folder', '.data/qmpt')
    .option('--patterns <file>', 'scored patterns (default OUT/patterns.jsonl; .parquet, .duckdb too)')
    .option('--scores <file>', 'per-observation scores (default OUT/scores.jsonl; .parquet, .duckdb too)')
    .option('--layers <file>', 'layers with their measured trajectories (default OUT/layers.jsonl; .parquet, .duckdb too)')
    .option('--self-reports <file>', 'JSON { "<pattern_id>": { anomaly?, reflexivity?, confidence? } } for Ô_self')
    .option('--threads <n>', 'worker threads of the GMM fit (1: the main thread; the numbers are the same)', '1')
    .option('--no-report', 'skip the Markdown report')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: ScoreFlags) =>
      runCommand('qmpt score', f.jsonMetrics, async ({ print, timer }) => {
        const threads = parseCount('threads', f.threads, 1, 256);
        const config = loadConfigs(f.config);
        const observations = await loadObservations(f.input);
        const selfReports = f.selfReports === undefined ? undefined : loadSelfReports(f.selfReports);
        const pool = threads > 1 ? createQmptPool({ threads }) : undefined;
        const result = await scoreObservations(observations, config, { ...(pool ? { executor: pool.executor } : {}), ...(selfReports ? { selfReports } : {}) }).finally(() => pool?.close());
        const files = { patterns: outputPath(f.patterns, f.out, 'patterns.jsonl'), scores: outputPath(f.scores, f.out, 'scores.jsonl'), layers: outputPath(f.layers, f.out, 'layers.jsonl') };
        await savePatterns(files.patterns, result.patterns);
        await saveObservationScores(files.scores, result.observationScores);
        await saveLayers(files.layers, result.layers);
        let report: string | null = null;
        if (f.report) report = writeReport(f.out, await scoreReport({ patterns: result.patterns, layers: result.layers, config, versions: { ...result.versions } }));

        const threshold = config.metrics.anomaly.threshold;
        const figures = patternFigures(result.patterns.values(), threshold);
        const d = result.diagnostics;
        const k = d.density === 'gmm' ? `; K = ${d.components.observations} on observations, ${d.components.patterns} on patterns` : '';
        print(`scored ${observations.length} observations of ${result.patterns.size} patterns in ${result.layers.length} layer(s) (${d.dim} feature columns; density ${d.density}${k})\n`);
        for (const line of patternLines(figures, threshold)) print(`${line}\n`);
        print(`observations at or above τ: ${(100 * d.anomalous_observation_share).toFixed(1)} %\n`);
        const warnings = degradedWarnings(d.degraded);
        if (d.unmatched_self_reports.length > 0) warnings.push(`${d.unmatched_self_reports.length} self-report(s) name no scored pattern and were ignored: ${d.unmatched_self_reports.slice(0, 5).join(', ')}`);
        timer.degraded = d.degraded.length > 0;
        timer.warnings.push(...warnings);
        for (const w of warnings) print(`warning: ${w}\n`);
        print(`wrote ${[files.patterns, files.scores, files.layers, ...(report ? [report] : [])].join(', ')}\n`);
        return {
          observations: observations.length,
          ...figures,
          layers: result.layers.map((l) => ({ layer_id: l.layer_id, patterns: l.patterns.length, states: l.state_trajectory.length })),
          anomalous_observation_share: d.anomalous_observation_share,
          threshold,
          density: d.density,
          components: d.components,
          feature_dim: d.dim,
          degraded_patterns: d.degraded.length,
          versions: result.versions,
          threads,
          outputs: { ...files, report },
        };
      }),
    );

  registerQmptSimulate(qmpt, CONFIG_HELP);

  qmpt
    .command('report')
    .description('the Markdown report of scored patterns, with a trajectory chart per layer when --layers is given')
    .requiredOption('--patterns <file>', 'scored patterns (.jsonl, .parquet or .duckdb)')
    .option('--layers <file>', 'layers with trajectories (.jsonl, .parquet or .duckdb)')
    .option('--config <file|name...>', `${CONFIG_HELP} (for the anomaly threshold τ)`)
    .requiredOption('--out <dir>', 'output folder of report.md and its charts')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: ReportFlags) =>
      runCommand('qmpt report', f.jsonMetrics, async ({ print }) => {
        const config = loadConfigs(f.config);
        const patterns = await loadPatterns(f.patterns);
        const layers = f.layers === undefined ? [] : await loadLayers(f.layers);
        const file = writeReport(f.out, await scoreReport({ patterns, layers, config }));
        const threshold = config.metrics.anomaly.threshold;
        const figures = patternFigures(patterns.values(), threshold);
        print(`report of ${patterns.size} patterns${layers.length > 0 ? ` and ${layers.length} layer(s)` : ''}: ${file}\n`);
        for (const line of patternLines(figures, threshold)) print(`${line}\n`);
        return { ...figures, threshold, layers: layers.length, report: file };
      }),
    );

  qmpt
    .command('generate')
    .description('write seeded synthetic observations with planted anomalous and reflexive patterns (to try `qmpt score` on)')
    .requiredOption('--out <file>', 'the observations file (.jsonl, .parquet or .duckdb)')
    .option('--seed <n>', 'seed', '1')
    .option('--patterns <n>', 'patterns in all', '60')
    .option('--anomalous <n>', 'of them anomalous', '3')
    .option('--reflexive <n>', 'of them reflexive', '10')
    .option('--modalities <list>', `comma-separated: ${MODALITIES.join(', ')}`, 'text')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: GenerateFlags) =>
      runCommand('qmpt generate', f.jsonMetrics, async ({ print }) => {
        const seed = parseCount('seed', f.seed, 0, 2 ** 31 - 1);
        const patterns = parseCount('patterns', f.patterns, 2, 1_000_000);
        const anomalous = parseCount('anomalous', f.anomalous, 0, patterns);
        const reflexive = parseCount('reflexive', f.reflexive, 0, patterns);
        if (anomalous + reflexive > patterns) throw new MaasflowError('CONFIG', `--anomalous ${anomalous} + --reflexive ${reflexive} exceed --patterns ${patterns}`);
        const modalities = f.modalities.split(',').map((m) => m.trim()).filter((m) => m !== '');
        const unknown = modalities.filter((m) => !(MODALITIES as readonly string[]).includes(m));
        if (modalities.length === 0 || unknown.length > 0) throw new MaasflowError('CONFIG', `--modalities: unknown modality ${unknown.join(', ') || '(none given)'}; known: ${MODALITIES.join(', ')}`);
        const { observations, truth } = generateObservations({ seed, patterns, anomalous, reflexive, modalities: modalities as (typeof MODALITIES)[number][] });
        await saveObservations(f.out, observations);
        const planted = [...truth].filter(([, t]) => t.anomalous).map(([id]) => id);
        print(`wrote ${observations.length} observations of ${patterns} patterns (${anomalous} anomalous: ${planted.join(', ') || 'none'}; ${reflexive} reflexive) to ${f.out}\n`);
        print(`next: maasflow qmpt score --input ${f.out} --out ${path.join(path.dirname(f.out), 'qmpt-scores')}\n`);
        return { seed, observations: observations.length, patterns, anomalous: planted, reflexive, modalities, file: f.out };
      }),
    );
}
