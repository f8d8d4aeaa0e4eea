import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { analyzeExperiment } from '../../control/teacher/analyze.ts';
import { loadExperimentSpec, type ExperimentSpec } from '../../control/teacher/experiment-spec.ts';
import { agreement, goldenJudge, lexicalJudge, llmJudge, loadJudgeInputs, type Judge, type Judgement } from '../../control/teacher/judges.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';
import { publishExperimentResult, saveExperimentResult, saveJudgements, VERDICTS_TOPIC } from '../../control/teacher/results-store.ts';
import { acquireInstance } from '../../sinks/duckdb/instances.ts';
import { loadScenarios } from '../../streams/emulator/index.ts';
import { formatExperimentResult } from '../../control/teacher/summary.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { FileParamSource } from '../../operators/maas/param-source.ts';
import { withSensorDb } from '../../operators/sensor/history.ts';
import { createStatsPool } from '../../operators/stats/index.ts';
import { EmbeddedLog } from '../../streams/log/index.ts';
import { parseCount, runCommand } from '../output.ts';
import { addModelFlags, modelsFromFlags, type ModelFlags } from './model-flags.ts';

interface AnalyzeFlags { experiment: string; spec?: string; experiments: string; dataDir: string; sensor?: string; params?: string; workers: string; clientType?: string; save: boolean; jsonMetrics?: string }

/** The spec with this id: `--spec FILE`, or the one file in DIR (YAML/JSON) whose id it is. */
export function findExperimentSpec(id: string, file: string | undefined, dir: string): ExperimentSpec {
  if (file) {
    const spec = loadExperimentSpec(file);
    if (spec.id !== id) throw new MaasflowError('CONFIG', `${file} is experiment "${spec.id}", not "${id}"`);
    return spec;
  }
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort() : [];
  const specs = files.map((f) => loadExperimentSpec(path.join(dir, f)));
  const found = specs.filter((s) => s.id === id);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw new MaasflowError('CONFIG', `experiment "${id}" is defined in several files: ${found.map((s) => s.file).join(', ')}`);
  throw new MaasflowError('CONFIG', `no experiment spec with id ${JSON.stringify(id)} in ${dir} (known: ${specs.map((s) => s.id).join(', ') || 'none'}); give --spec FILE`);
}

/** `maasflow teacher analyze`: the verdict on one experiment from the sensor history. */
export function registerTeacherCommands(program: Command): void {
  const teacher = program.command('teacher').description('the Teacher: experiment verdicts from the sensor history');
  teacher
    .command('analyze')
    .description('analyse one experiment: tests, intervals, guardrails, verdict and recommendation')
    .requiredOption('--experiment <id>', 'experiment id')
    .option('--spec <file>', 'its spec file (default: the file in --experiments with that id)')
    .option('--experiments <dir>', 'where experiment specs are', 'config/experiments')
    .option('--data-dir <dir>', 'the MaaS data dir: sensor.duckdb, params.json, the log for the verdict event', '.data/maas')
    .option('--sensor <file>', 'sensor history (default DATA_DIR/sensor.duckdb)')
    .option('--params <file>', 'active parameter version (default DATA_DIR/params.json, else config/params.json)')
    .option('--workers <n>', 'worker threads for the tests (0: main thread)', '2')
    .option('--client-type <type>', 'only runs of this client type (real, emulator)')
    .option('--no-save', 'do not store the result (experiment_results) nor emit the event')
    .option('--json-metrics <path|->', 'write the metrics report (the full result is in metric.result)')
    .action((f: AnalyzeFlags) =>
      runCommand('teacher analyze', f.jsonMetrics, async ({ print }) => {
        const spec = findExperimentSpec(f.experiment, f.spec, f.experiments);
        const sensor = path.resolve(f.sensor ?? path.join(f.dataDir, 'sensor.duckdb'));
        if (!fs.existsSync(sensor)) throw new MaasflowError('CONFIG', `no sensor history at ${sensor}: run the MaaS (npm start, maasflow emulate) or give --sensor`);
        const paramsFile = f.params ?? (fs.existsSync(path.join(f.dataDir, 'params.json')) ? path.join(f.dataDir, 'params.json') : 'config/params.json');
        const activeParams = new FileParamSource(path.resolve(paramsFile)).active().params;
        const workers = parseCount('workers', f.workers, 0, 64);
        const pool = workers > 0 ? createStatsPool({ threads: workers }) : undefined;
        try {
          const result = await withSensorDb(sensor, async (conn) => {
            const r = await analyzeExperiment(conn, spec, { activeParams, ...(pool ? { pool } : {}), ...(f.clientType ? { clientType: f.clientType } : {}) });
            if (f.save) await saveExperimentResult(conn, r);
            return r;
          });
          for (const line of formatExperimentResult(spec, result)) print(`${line}\n`);
          if (f.save) {
            const log = EmbeddedLog.open(path.join(f.dataDir, 'log'));
            try {
              publishExperimentResult(log, result);
            } finally {
              log.close();
            }
            print(`stored in ${sensor} (experiment_results, experiment_verdicts); event on topic ${VERDICTS_TOPIC} of ${path.join(f.dataDir, 'log')}\n`);
          }
          return { verdict: result.verdict, action: result.recommendation.action, result };
        } finally {
          await pool?.close();
        }
      }),
    );

  addModelFlags(teacher.command('judge'), 'manifests folder: adds the LLM judge when a model file can judge')
    .description('judge completed runs (relevance, utilisation, hallucination) with the golden and the lexical judge; store both and their agreement')
    .option('--experiment <id>', 'only runs of this experiment')
    .option('--data-dir <dir>', 'the MaaS data dir: sensor.duckdb and maas.duckdb', '.data/maas')
    .option('--limit <n>', 'at most this many runs', '100000')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: ModelFlags & { experiment?: string; dataDir: string; limit: string; jsonMetrics?: string }) =>
      runCommand('teacher judge', f.jsonMetrics, async ({ print }) => {
        const sensor = path.resolve(f.dataDir, 'sensor.duckdb');
        const storeFile = path.resolve(f.dataDir, 'maas.duckdb');
        for (const file of [sensor, storeFile]) if (!fs.existsSync(file)) throw new MaasflowError('CONFIG', `${file} does not exist: run the MaaS first (npm start, maasflow emulate)`);
        const markers = loadScenarios().unknown_markers;
        const judges: Judge[] = [goldenJudge({ unknownMarkers: markers }), lexicalJudge({ unknownMarkers: markers })];
        let service: InferenceService | undefined;
        const models = modelsFromFlags(f);
        if (models) {
          const registry = ModelRegistry.load(path.resolve(models.dir));
          if (registry.manifests.some((m) => m.format !== 'builtin' && m.capabilities.includes('judge'))) {
            service = new InferenceService({ registry, loader: createModelLoader({ threads: models.threads }) });
            judges.push(llmJudge(service, { unknownMarkers: markers }));
          }
        }
        const lease = await acquireInstance(storeFile, 'teacher-judge');
        const store = await lease.instance.connect();
        try {
          return await withSensorDb(sensor, async (conn) => {
            const inputs = await loadJudgeInputs(conn, store, { ...(f.experiment ? { experimentId: f.experiment } : {}), limit: parseCount('limit', f.limit, 1, 10_000_000) });
            const byJudge: Judgement[][] = [];
            for (const j of judges) {
              const out: Judgement[] = [];
              for (const r of inputs) out.push(await j.judge(r));
              byJudge.push(out);
            }
            // every pair of judges: golden vs lexical, and each against the LLM judge when there is one
            const pairs = byJudge.flatMap((a, i) => byJudge.slice(i + 1).map((b) => agreement(a, b)));
            await saveJudgements(conn, Date.now(), byJudge.flat(), pairs);
            const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
            print(`judged ${inputs.length} completed runs with ${judges.map((j) => j.id).join(' and ')}${service ? '' : ' (an LLM judge joins with --models when a model file can judge)'}\n`);
            for (const a of pairs) {
              print(`  ${a.judges[0]} vs ${a.judges[1]}: agreement on hallucination ${pct(a.hallucination.agreement)} of ${a.hallucination.runs} runs both could judge\n`);
              print(`  ${a.judges[0]} vs ${a.judges[1]}: agreement on memory relevance ${pct(a.relevance.agreement)} of ${a.relevance.memories} retrieved memories\n`);
            }
            print(`stored in ${sensor} (judgements, judge_agreement)\n`);
            return { runs: inputs.length, agreements: pairs };
          });
        } finally {
          store.closeSync();
          lease.release();
          await service?.close();
        }
      }),
    );
}
