/** `maasflow models warmup` and `maasflow models update`: the commands that load models (docs/MODELS.md). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { MaasflowError } from '../../engine/errors.ts';
import { parseManifest, type ModelManifest } from '../../models/registry/manifest.ts';
import { compareVersions } from '../../models/registry/naming.ts';
import { DEFAULT_MANIFESTS_DIR, ModelRegistry } from '../../models/registry/registry.ts';
import { DEFAULT_CONTROL_PROMPTS, loadControlPrompts, summarizeWarmup, warmUpModel, type ModelWarmup } from '../../models/runtime/control-prompts.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';
import { updateModel } from '../../models/runtime/update.ts';
import { runCommand, type CommandContext } from '../output.ts';
import { parseCount } from '../output.ts';
import { MANIFESTS_OPTION, rel, table } from './models-common.ts';

const PROMPTS_OPTION = ['--prompts <file>', `control prompts (default ${rel(DEFAULT_CONTROL_PROMPTS)})`] as const;
const THREADS_OPTION = ['--threads <n>', 'CPU threads per model: the cores you mean to give it (default: all; on 2 cores a tiny model runs ~40x faster with 1 than with 2)'] as const;
/** Exit status of `models update` when the candidate is rolled back (1 is an error, 2 a validation error). */
export const EXIT_ROLLED_BACK = 3;

interface WarmupFlags { manifests?: string; model?: string; prompts?: string; threads?: string; strict?: boolean; jsonMetrics?: string }
interface UpdateFlags { candidate: string; active?: string; maxDrop: string; manifests?: string; prompts?: string; threads?: string; reportDir: string; jsonMetrics?: string }

export function registerModelRunCommands(models: Command): void {
  models
    .command('warmup')
    .description('load the model(s) through the inference service and run the control prompts: load time, latency and tokens/s per prompt, expectations held')
    .option(...MANIFESTS_OPTION)
    .option('--model <id>', 'only this model (default: every model with a file)')
    .option(...PROMPTS_OPTION)
    .option(...THREADS_OPTION)
    .option('--strict', 'exit 1 when an expectation does not hold (a failed load or call always does)')
    .option('--json-metrics <path|->', 'write the metrics report (every prompt run is in metric.models)')
    .action((f: WarmupFlags) =>
      runCommand('models warmup', f.jsonMetrics, async (ctx) => {
        const registry = ModelRegistry.load(f.manifests ?? DEFAULT_MANIFESTS_DIR);
        const prompts = loadControlPrompts(f.prompts ?? DEFAULT_CONTROL_PROMPTS);
        const targets = f.model ? [registry.get(f.model)] : registry.manifests.filter((m) => m.format !== 'builtin');
        if (targets.length === 0) {
          ctx.print(`no model files among the ${registry.manifests.length} manifests of ${rel(f.manifests ?? DEFAULT_MANIFESTS_DIR)} (built-in models need no warm-up; --model ID runs one anyway)\n`);
          return { models: [] };
        }
        const threads = f.threads === undefined ? undefined : parseCount('threads', f.threads, 1, 1024);
        const service = new InferenceService({ registry, loader: createModelLoader(threads === undefined ? {} : { threads }) });
        const runs: ModelWarmup[] = [];
        try {
          for (const m of targets) {
            const w = await warmUpModel(service, m, prompts);
            printWarmup(ctx, m, w);
            runs.push(w);
            await service.host(m).unload();
          }
        } finally {
          await service.close();
        }
        const failed = runs.filter((w) => w.loadError !== null || w.prompts.some((p) => p.error !== null));
        const missed = runs.reduce((n, w) => n + w.prompts.filter((p) => p.pass === false && p.error === null).length, 0);
        if (missed > 0) ctx.timer.warnings.push(`${missed} expectations did not hold`);
        if (failed.length > 0) throw new MaasflowError('MODEL_LOAD', `${failed.map((w) => w.modelId).join(', ')}: failed to load or to answer a control prompt (see above)`);
        if (f.strict && missed > 0) throw new MaasflowError('MODEL_INVALID', `${missed} expectations did not hold (--strict)`);
        return { models: runs.map((w) => ({ ...w, summary: summarizeWarmup(w) })) };
      }),
    );

  models
    .command('update')
    .description('seed 001 §15: warm up a staged candidate and the active model on the control prompts; promote the candidate (its manifest moves into the manifests folder) unless its score drops more than --max-drop; exit 3 when rolled back')
    .requiredOption('--candidate <file>', 'the staged manifest of the new version (e.g. models/staging/NAME.yaml)')
    .option('--active <id>', 'the model to compare with (default: the one of the same family and purpose in the manifests folder)')
    .option('--max-drop <x>', 'largest relative score drop still promoted', '0.05')
    .option(...MANIFESTS_OPTION)
    .option(...PROMPTS_OPTION)
    .option(...THREADS_OPTION)
    .option('--report-dir <dir>', 'where the Markdown report goes', 'reports/models')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: UpdateFlags) =>
      runCommand('models update', f.jsonMetrics, async ({ print }) => {
        const dir = path.resolve(f.manifests ?? DEFAULT_MANIFESTS_DIR);
        const maxDrop = Number(f.maxDrop);
        if (!(maxDrop >= 0 && maxDrop <= 1)) throw new MaasflowError('CONFIG', `--max-drop must be a number in [0, 1], got "${f.maxDrop}"`);
        if (!fs.existsSync(f.candidate)) throw new MaasflowError('CONFIG', `the candidate manifest ${f.candidate} does not exist`);
        const candidate = parseManifest(path.resolve(f.candidate), fs.readFileSync(f.candidate, 'utf8'), process.cwd());
        const registry = ModelRegistry.load(dir);
        const active = f.active ? registry.get(f.active) : activeOf(candidate, registry.manifests, dir);
        const controlPrompts = loadControlPrompts(f.prompts ?? DEFAULT_CONTROL_PROMPTS);
        print(`update: ${candidate.id} against ${active.id} on ${controlPrompts.length} control prompts (roll back if the score drops more than ${(maxDrop * 100).toFixed(1)} %)\n`);
        const threads = f.threads === undefined ? undefined : parseCount('threads', f.threads, 1, 1024);
        const r = await updateModel({ candidate, active, controlPrompts, maxDrop, reportDir: path.resolve(f.reportDir), manifestsDir: dir, ...(threads === undefined ? {} : { threads }) });
        for (const [name, o] of [['active', r.active], ['candidate', r.candidate]] as const) {
          const s = summarizeWarmup(o.warmup);
          const load = o.warmup.loadError === null ? `loaded in ${ms(o.warmup.loadMs)}` : 'failed to load';
          print(`  ${name.padEnd(9)} ${o.warmup.modelId}: score ${o.score === null ? '-' : o.score.toFixed(3)} (${s.passed}/${s.judged} expectations held, ${s.errors} failed calls), ${load}, mean latency ${ms(s.meanLatencyMs)}, ${tps(s.tokensPerSecond)}\n`);
        }
        print(`${r.decision === 'promoted' ? 'promoted' : 'rolled back'}: ${r.reason}\n`);
        print(r.decision === 'promoted' ? `manifest: ${rel(r.manifestPath)}${r.replaced ? ` (replaced ${active.id}; its manifest is kept at ${rel(r.replaced.copy)})` : ''}\n` : `manifest stays in ${rel(r.manifestPath)}\n`);
        print(`report: ${rel(r.reportPath)}\n`);
        if (r.decision === 'rolled_back') process.exitCode = EXIT_ROLLED_BACK;
        return { decision: r.decision, reason: r.reason, report: r.reportPath, manifest: r.manifestPath, active_score: r.active.score, candidate_score: r.candidate.score, drop: r.drop, max_drop: r.maxDrop };
      }),
    );
}

/** The active model a candidate upgrades: same family and purpose, the newest version of them. */
function activeOf(candidate: ModelManifest, manifests: readonly ModelManifest[], dir: string): ModelManifest {
  const same = manifests.filter((m) => m.name.family === candidate.name.family && m.name.purpose === candidate.name.purpose && m.id !== candidate.id);
  if (same.length === 0) throw new MaasflowError('CONFIG', `no model of family ${candidate.name.family} and purpose ${candidate.name.purpose} in ${rel(dir)} to compare ${candidate.id} with: name one with --active ID`);
  return same.sort((a, b) => compareVersions(b.name, a.name))[0]!;
}

function printWarmup({ print }: CommandContext, m: ModelManifest, w: ModelWarmup): void {
  if (w.loadError !== null) {
    print(`${m.id} (${w.kind}, ${m.adapter}): failed to load: ${w.loadError}\n`);
    return;
  }
  print(`${m.id} (${w.kind}, ${m.adapter}): loaded in ${ms(w.loadMs)}${w.dim === null ? '' : `, dim ${w.dim}`}\n`);
  const gen = w.kind === 'generator';
  const rows = w.prompts.map((p) => [
    `  ${p.id}`,
    p.error !== null ? 'ERROR' : p.pass === null ? '-' : p.pass ? 'ok' : 'FAIL',
    ms(p.latencyMs),
    ...(gen ? [`${p.completionTokens} tokens`, tps(p.tokensPerSecond)] : []),
    p.error ?? JSON.stringify(p.output.length > 60 ? `${p.output.slice(0, 60)}…` : p.output) + (p.expect === null || w.kind === 'embedder' ? '' : `  (expect ${p.expect})`),
  ]);
  print(table(rows));
  const s = summarizeWarmup(w);
  print(`  ${gen || w.kind === 'classifier' ? `${s.passed}/${s.judged} expectations held, ` : ''}${s.errors} failed calls, mean latency ${ms(s.meanLatencyMs)}${gen ? `, ${tps(s.tokensPerSecond)}` : ''}\n`);
}

const ms = (x: number | null): string => (x === null ? '-' : `${x.toFixed(1)} ms`);
const tps = (x: number | null): string => (x === null ? '- tokens/s' : `${x.toFixed(0)} tokens/s`);
