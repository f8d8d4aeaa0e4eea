import path from 'node:path';
import type { Command } from 'commander';
import { readSensorSummary } from '../../operators/sensor/history.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { startMaasService } from '../../server/maas-service.ts';
import { parseCount, runCommand } from '../output.ts';
import { describeSensor, emulateOverHttp } from './emulate.ts';
import { addModelFlags, modelsFromFlags, type ModelFlags } from './model-flags.ts';

interface StartFlags extends ModelFlags { dataDir: string; port: string; dialogues: string; seed: string; serve: boolean; keepData?: boolean; jsonMetrics?: string }

/**
 * `npm start`, the main job as far as it is built: the MaaS (pipeline and
 * sensor on the embedded log) behind its HTTP API, a seeded emulator run
 * through that API, the sensor's account of it, then the API keeps serving
 * until Ctrl-C (or exits with --no-serve).
 */
export function registerStartCommand(program: Command): void {
  addModelFlags(program.command('start'), 'manifests folder with model files for the Analyzer and Responder (default: built-ins)')
    .description('the main job: MaaS + sensor behind the HTTP API, an emulator run through it, then serve')
    .option('--data-dir <dir>', 'log, checkpoints, memory store, sensor history', '.data/maas')
    .option('--port <n>', 'HTTP port (0: any free one)', '8080')
    .option('--dialogues <n>', 'emulated dialogues before serving', '100')
    .option('--seed <s>', 'emulator seed', '1')
    .option('--keep-data', 'keep what the MaaS learnt in earlier runs (default: start empty)')
    .option('--no-serve', 'stop after the emulator run')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: StartFlags) =>
      runCommand('start', f.jsonMetrics, async ({ print }) => {
        const say = (line: string): void => print(`${line}\n`);
        const port = parseCount('port', f.port, 0, 65_535);
        const dialogues = parseCount('dialogues', f.dialogues, 0, 1_000_000);
        const seed = parseCount('seed', f.seed, 0, 2 ** 32 - 1);
        const stopped = new AbortController();
        const service = await startMaasService({
          schemas: SchemaRegistry.load(),
          dataDir: f.dataDir,
          fresh: !f.keepData,
          port,
          models: modelsFromFlags(f),
          onError: (topology, err) => {
            say(`error: topology ${topology} stopped: ${err.message}`);
            stopped.abort();
          },
        });
        const { paths } = service.host;
        say(`1. MaaS running: topologies/maas/pipeline.yaml + topologies/maas/sensor.yaml on the log in ${path.relative(process.cwd(), paths.log)}`);
        say(`   parameter version ${path.relative(process.cwd(), paths.params)} (docs/IMPACTS.md), memory store ${path.relative(process.cwd(), paths.memoryStore)}`);
        say(`2. HTTP API on ${service.url}: POST /v1/chat, GET /health`);
        try {
          const report = await emulateOverHttp(service.url, { dialogues, seed, concurrency: 8, reportPath: path.join(paths.dataDir, 'emulator-report.json') }, (l) => say(l.startsWith('emulating') ? `3. ${l}` : `   ${l.trimStart()}`));
          await service.host.settle();
          const sensor = await readSensorSummary(paths.sensor);
          say(`4. ${describeSensor(paths.sensor, sensor)}`);
          if (f.serve && !stopped.signal.aborted) {
            say(`5. serving on ${service.url} (Ctrl-C stops; the sensor history stays in ${path.relative(process.cwd(), paths.sensor)})`);
            await new Promise<void>((resolve) => {
              const done = (): void => resolve();
              process.once('SIGINT', done);
              process.once('SIGTERM', done);
              stopped.signal.addEventListener('abort', done, { once: true });
            });
          }
          return { dialogues: report.dialogues, runs: report.turns, failed_runs: report.failed_runs, accuracy: report.accuracy, sensor_rows: sensor.runs, url: service.url };
        } finally {
          await service.close();
        }
      }),
    );
}
