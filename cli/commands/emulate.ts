import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadExperimentSpec, runningEntry, type ExperimentSpec } from '../../control/teacher/experiment-spec.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { readSensorSummary, type SensorSummary } from '../../operators/sensor/history.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { startMaasService } from '../../server/maas-service.ts';
import { runEmulator, type EmulatorReport } from '../../streams/emulator/index.ts';
import { httpChat } from '../../streams/maas/http-chat.ts';
import { parseCount, runCommand } from '../output.ts';
import { addModelFlags, modelsFromFlags, type ModelFlags } from './model-flags.ts';

export interface EmulationOptions {
  dialogues: number;
  seed: number;
  concurrency: number;
  reportPath: string;
  personasFile?: string;
  scenariosFile?: string;
}

/** Runs the emulator against a MaaS HTTP API, printing progress every `every` runs. */
export async function emulateOverHttp(url: string, o: EmulationOptions, say: (line: string) => void): Promise<EmulatorReport> {
  let runs = 0;
  let failed = 0;
  const every = 200;
  say(`emulating ${o.dialogues} dialogues (seed ${o.seed}, ${o.concurrency} users at a time) through POST ${url}/v1/chat`);
  const report = await runEmulator({
    seed: o.seed,
    dialogues: o.dialogues,
    concurrency: o.concurrency,
    chat: httpChat(url),
    personasFile: o.personasFile,
    scenariosFile: o.scenariosFile,
    reportPath: o.reportPath,
    onTurn: (e) => {
      runs++;
      if (e.outcome === 'failed') failed++;
      if (runs % every === 0) say(`  ${runs} runs, ${failed} failed`);
    },
  });
  say(`  ${report.dialogues} dialogues of ${report.users} users, ${report.turns} runs (${report.failed_runs} failed); questions answered correctly: ${pct(report.accuracy)} (answer rate ${pct(report.answer_rate)}); report ${path.relative(process.cwd(), o.reportPath) || o.reportPath}`);
  return report;
}

export function describeSensor(file: string, s: SensorSummary): string {
  const latency = s.latency_p50_ms === null ? '' : `, latency p50 ${s.latency_p50_ms.toFixed(0)} ms p95 ${s.latency_p95_ms!.toFixed(0)} ms`;
  return `sensor: ${s.runs} runs in ${path.relative(process.cwd(), file) || file} table sensor_runs (${s.completed} completed, ${s.failed} failed${latency}); ${s.inference_calls} model calls in inference_log`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

interface EmulateFlags extends ModelFlags { dialogues: string; seed: string; concurrency: string; url?: string; dataDir: string; keepData?: boolean; report?: string; personas?: string; scenarios?: string; experiment?: string; jsonMetrics?: string }

/** Runs the experiment of a spec file in the MaaS whose parameter file this is: each user gets an arm (docs/IMPACTS.md). */
export function startExperiment(paramsFile: string, specFile: string): ExperimentSpec {
  const spec = loadExperimentSpec(specFile);
  const current = JSON.parse(fs.readFileSync(paramsFile, 'utf8')) as { version: string; params?: object; experiments?: { id: string }[] };
  const others = (current.experiments ?? []).filter((e) => e.id !== spec.id);
  fs.writeFileSync(paramsFile, `${JSON.stringify({ ...current, experiments: [runningEntry(spec, current.version), ...others] }, null, 2)}\n`);
  return spec;
}

/**
 * `maasflow emulate`: seeded synthetic dialogues through the MaaS HTTP API:
 * the one at --url, or (by default) a MaaS started in this process, whose
 * sensor history is then summarised.
 */
export function registerEmulateCommand(program: Command): void {
  addModelFlags(program.command('emulate'), 'the in-process MaaS: manifests folder with model files for the Analyzer and Responder')
    .description('run the User Emulator: N seeded dialogues through POST /v1/chat (of --url, or of a MaaS started here)')
    .option('--dialogues <n>', 'dialogues (threads) to hold', '100')
    .option('--seed <s>', 'seed of every choice the emulator makes', '1')
    .option('--concurrency <n>', 'users talking at once', '8')
    .option('--url <url>', 'a running MaaS API (default: start one in this process)')
    .option('--data-dir <dir>', 'the in-process MaaS: its log, checkpoints, memory store and sensor history', '.data/maas')
    .option('--keep-data', 'keep what the in-process MaaS already knows (default: start it empty)')
    .option('--report <path>', 'where the emulator report goes (default DATA_DIR/emulator-report.json)')
    .option('--personas <file>', 'personas (default config/sim_personas.json)')
    .option('--scenarios <file>', 'scenarios (default config/sim_scenarios.json)')
    .option('--experiment <spec>', 'run this experiment spec in the in-process MaaS: users are split between its arms')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: EmulateFlags) =>
      runCommand('emulate', f.jsonMetrics, async ({ print }) => {
        const say = (line: string): void => print(`${line}\n`);
        const options: EmulationOptions = {
          dialogues: parseCount('dialogues', f.dialogues, 0, 1_000_000),
          seed: parseCount('seed', f.seed, 0, 2 ** 32 - 1),
          concurrency: parseCount('concurrency', f.concurrency, 1, 10_000),
          reportPath: path.resolve(f.report ?? path.join(f.dataDir, 'emulator-report.json')),
          personasFile: f.personas,
          scenariosFile: f.scenarios,
        };
        if (f.url && f.experiment) throw new MaasflowError('CONFIG', '--experiment starts the experiment in the MaaS this command runs; with --url, start it in that MaaS');
        if (f.url) {
          const report = await emulateOverHttp(f.url, options, say);
          return { dialogues: report.dialogues, runs: report.turns, failed_runs: report.failed_runs, accuracy: report.accuracy, answer_rate: report.answer_rate };
        }
        const service = await startMaasService({
          schemas: SchemaRegistry.load(),
          dataDir: f.dataDir,
          fresh: !f.keepData,
          port: 0,
          models: modelsFromFlags(f),
        });
        say(`MaaS (pipeline + sensor) in this process, data in ${f.dataDir}, API on ${service.url}`);
        if (f.experiment) {
          const spec = startExperiment(service.host.paths.params, f.experiment);
          say(`experiment ${spec.id} running: ${[spec.baseline, ...spec.variants].map((a) => `${a.name} ${spec.assignment.split[a.name]! * 100} %`).join(', ')} of the ${spec.assignment.unit === 'user_id' ? 'users' : 'threads'}`);
        }
        let report: EmulatorReport;
        try {
          report = await emulateOverHttp(service.url, options, say);
        } finally {
          await service.close();
        }
        const sensor = await readSensorSummary(service.host.paths.sensor);
        say(describeSensor(service.host.paths.sensor, sensor));
        return { dialogues: report.dialogues, runs: report.turns, failed_runs: report.failed_runs, accuracy: report.accuracy, answer_rate: report.answer_rate, sensor_rows: sensor.runs, inference_calls: sensor.inference_calls };
      }),
    );
}
