import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Manager } from '../../control/manager/manager.ts';
import type { CycleRecord, CycleType } from '../../control/types.ts';
import { POOR_PARAMS_FILE } from '../../control/world/closed-form.ts';
import { MaasWorld } from '../../control/world/maas-world.ts';
import { SyntheticWorld } from '../../control/world/synthetic.ts';
import { MaasflowError } from '../../engine/errors.ts';
import { DegradationMonitor } from '../../operators/control/degradation-monitor.ts';
import { loadDegradationRules } from '../../operators/control/degradation-rules.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { buildServer } from '../../server/app.ts';
import { startMaasService } from '../../server/maas-service.ts';
import { parseCount, runCommand } from '../output.ts';
import { addModelFlags, modelsFromFlags, type ModelFlags } from './model-flags.ts';


interface LoopFlags extends ModelFlags {
  dataDir: string;
  port: string;
  cycles: string;
  schedule?: string;
  world: string;
  perArm: string;
  microDialogues: string;
  maxVariants: string;
  seed: string;
  token?: string;
  every: string;
  autoApprove?: boolean;
  keepData?: boolean;
  serve: boolean;
  jsonMetrics?: string;
}

/**
 * `npm start` (`maasflow start`) and `maasflow demo`: the whole self-learning
 * loop. Emulator → MaaS → sensor → Teacher → Tuner → Manager, starting from a
 * deliberately poor parameter version, with the HTTP API and dashboard up
 * from the first second, progress on the terminal and a report per cycle;
 * then it serves (cycles on command from the dashboard/API, or every
 * --every seconds) until Ctrl-C, or exits with --no-serve.
 */
export function registerStartCommand(program: Command): void {
  register(program.command('start'), 'the main job: the self-learning loop over the MaaS with the dashboard, then serve', '4');
  register(program.command('demo'), 'a bounded run of the loop for scripts (use --no-serve)', '3');
}

function register(command: Command, description: string, cycles: string): void {
  addModelFlags(command, 'manifests folder with model files for the Analyzer and Responder (default: built-ins)')
    .description(description)
    .option('--data-dir <dir>', 'log, checkpoints, memory store, sensor history, control.duckdb, reports/', '.data/maas')
    .option('--port <n>', 'HTTP port (0: any free one)', '8080')
    .option('--cycles <n>', 'cycles to run before serving: the first deep, the rest macro (see --schedule)', cycles)
    .option('--schedule <types>', 'explicit cycle types, comma-separated (micro, macro, deep); overrides --cycles')
    .option('--world <name>', 'maas (emulator through the real MaaS) or synthetic (the seeded simulation of docs/CONTROL.md)', 'maas')
    .option('--per-arm <n>', 'traffic per experiment arm: emulator dialogues (maas; ~7 runs each) or runs (synthetic)', '20')
    .option('--micro-dialogues <n>', 'traffic of a micro cycle, in the same unit', '40')
    .option('--max-variants <n>', 'most variants per exploration (1..16)', '8')
    .option('--seed <s>', 'seed of the emulator and the Teacher', '1')
    .option('--token <t>', 'bearer token of the mutating API routes (default: $MAASFLOW_TOKEN, else a random one, printed)')
    .option('--every <seconds>', 'while serving, run a micro cycle this often (0: only on command)', '0')
    .option('--auto-approve', 'activate approval-required changes without waiting for a person')
    .option('--keep-data', 'continue from the data of an earlier run (default: start empty, from the poor version)')
    .option('--no-serve', 'exit after the cycles')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: LoopFlags) => runCommand(command.name(), f.jsonMetrics, ({ print }) => runLoop(f, (line) => print(`${line}\n`))));
}

async function runLoop(f: LoopFlags, say: (line: string) => void): Promise<Record<string, unknown>> {
  const port = parseCount('port', f.port, 0, 65_535);
  const schedule = parseSchedule(f);
  const seed = parseCount('seed', f.seed, 0, 2 ** 31 - 1);
  const every = parseCount('every', f.every, 0, 86_400);
  if (f.world !== 'maas' && f.world !== 'synthetic') throw new MaasflowError('CONFIG', `--world must be maas or synthetic, got ${JSON.stringify(f.world)}`);
  const token = f.token ?? process.env.MAASFLOW_TOKEN ?? crypto.randomBytes(18).toString('base64url');
  const dataDir = path.resolve(f.dataDir);
  if (!f.keepData) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.copyFileSync(POOR_PARAMS_FILE, path.join(dataDir, 'params.json'));
  }
  const managerOptions = {
    controlFile: path.join(dataDir, 'control.duckdb'),
    autoApprove: f.autoApprove ?? false,
    runsPerArm: parseCount('per-arm', f.perArm, 1, 1_000_000),
    microRuns: parseCount('micro-dialogues', f.microDialogues, 1, 1_000_000),
    maxVariants: parseCount('max-variants', f.maxVariants, 1, 16),
    seed,
    log: say,
  };

  const stopped = new AbortController();
  let manager: Manager | undefined;
  let url: string;
  let close: () => Promise<unknown>;
  if (f.world === 'maas') {
    const service = await startMaasService({
      schemas: SchemaRegistry.load(),
      dataDir,
      port,
      token,
      models: modelsFromFlags(f),
      control: async (host) => (manager = await Manager.open({ ...managerOptions, world: new MaasWorld(host) })),
      onError: (topology, err) => {
        say(`error: topology ${topology} stopped: ${err.message}`);
        stopped.abort();
      },
    });
    url = service.url;
    close = () => service.close();
    say(`MaaS running: topologies/maas/pipeline.yaml + sensor.yaml on the log in ${rel(service.host.paths.log)}; sensor history ${rel(service.host.paths.sensor)}`);
  } else {
    const world = await SyntheticWorld.open({ sensorFile: path.join(dataDir, 'sensor.duckdb'), paramsFile: path.join(dataDir, 'params.json'), watch: new DegradationMonitor(loadDegradationRules('config/degradation.yaml')) });
    manager = await Manager.open({ ...managerOptions, world });
    const app = await buildServer({ chat: () => Promise.reject(new MaasflowError('CHAT_CLOSED', 'the synthetic world has no MaaS to chat with; run with --world maas')), control: manager, token });
    await app.listen({ port, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    close = async () => {
      await app.close();
      await manager!.close();
      await world.close();
    };
    say(`synthetic world (docs/CONTROL.md): sensor history ${rel(world.sensorFile)}`);
  }
  const m = manager!;
  try {
    say(`dashboard: ${url}/#token=${token}`);
    say(`API: ${url}/v1/... (docs/API.md); mutating routes need Authorization: Bearer ${token}`);
    const start = await m.tuner.active();
    say(`starting from ${start.version} (${f.keepData ? 'kept from the earlier run' : `the deliberately poor ${rel(POOR_PARAMS_FILE)}`}): ${JSON.stringify(start.params)}`);
    const records: CycleRecord[] = [];
    for (const type of schedule) {
      if (stopped.signal.aborted) break;
      records.push(await m.cycles.run(type, 'schedule'));
    }
    const end = await m.tuner.active();
    const qs = records.map((r) => r.arms.find((a) => a.arm === 'control' || a.arm === 'active')?.q ?? null);
    say(`after ${records.length} cycles: active ${end.version}; Q of the active version per cycle: ${qs.map((q) => (q === null ? 'n/a' : q.toFixed(3))).join(' → ')}`);
    say(`reports in ${rel(path.join(dataDir, 'reports'))}; history in ${rel(managerOptions.controlFile)} (experiment_parameters, parameter_audit, experiments, goals, approvals)`);
    const pending = (await m.approvals.list()).filter((a) => a.status === 'pending');
    if (pending.length > 0) say(`${pending.length} change(s) wait for approval on the dashboard: ${pending.map((a) => `${a.id} (${a.changes.map((c) => `${c.param} → ${c.to}`).join(', ')})`).join('; ')}`);
    if (f.serve && !stopped.signal.aborted) {
      say(`serving on ${url} (Ctrl-C stops)${every > 0 ? `; a micro cycle every ${every} s` : '; cycles on command (dashboard or POST /v1/cycles)'}`);
      const timer = every > 0 ? setInterval(() => void m.cycles.run('micro', 'schedule').catch((err: Error) => say(`cycle: ${err.message}`)), every * 1000) : undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        stopped.signal.addEventListener('abort', done, { once: true });
      });
      if (timer) clearInterval(timer);
    }
    const audit = await m.tuner.audit();
    return {
      world: f.world,
      cycles: records.length,
      start_version: start.version,
      active_version: end.version,
      q_per_cycle: qs,
      activations: audit.filter((e) => e.action === 'activate' && e.initiator !== 'system').length,
      rollbacks: audit.filter((e) => e.action === 'rollback').length,
      approvals_pending: pending.length,
      url,
    };
  } finally {
    await close();
  }
}

function parseSchedule(f: LoopFlags): CycleType[] {
  if (f.schedule !== undefined) {
    const types = f.schedule.split(',').map((t) => t.trim());
    const bad = types.filter((t) => t !== 'micro' && t !== 'macro' && t !== 'deep');
    if (bad.length > 0 || types.length === 0) throw new MaasflowError('CONFIG', `--schedule: unknown cycle type(s) ${bad.join(', ') || '(none)'}; use micro, macro, deep`);
    return types as CycleType[];
  }
  const n = parseCount('cycles', f.cycles, 0, 10_000);
  return Array.from({ length: n }, (_, i) => (i === 0 ? 'deep' : 'macro'));
}

const rel = (p: string): string => path.relative(process.cwd(), p) || p;
