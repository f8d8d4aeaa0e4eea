/**
 * `maasflow models list|validate|warmup|update`: the model registry from the
 * command line (docs/MODELS.md). list and validate read manifests and files
 * only; warmup and update load models (models-run.ts).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationErrors } from '../../engine/errors.ts';
import { CAPABILITIES, scanManifests, type ModelManifest } from '../../models/registry/manifest.ts';
import { DEFAULT_MANIFESTS_DIR, ModelRegistry } from '../../models/registry/registry.ts';
import { verifyManifest } from '../../models/registry/verify.ts';
import { runCommand } from '../output.ts';
import { MANIFESTS_OPTION, rel, table } from './models-common.ts';
import { registerModelRunCommands } from './models-run.ts';

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('the model registry: list manifests, validate them and their files, warm models up, update a model (docs/MODELS.md)');

  models
    .command('list')
    .description('the manifests as a table, and which model seed 001 §3.1 selects for each capability, and why')
    .option(...MANIFESTS_OPTION)
    .option('--json-metrics <path|->', 'write the metrics report (the models and selections are in metric)')
    .action((f: { manifests?: string; jsonMetrics?: string }) =>
      runCommand('models list', f.jsonMetrics, async ({ print }) => {
        const dir = f.manifests ?? DEFAULT_MANIFESTS_DIR;
        const registry = ModelRegistry.load(dir);
        const ms = [...registry.manifests].sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id));
        print(`${ms.length} models in ${rel(dir)}\n`);
        const rows = ms.map((m) => [m.id, m.role, m.format, m.adapter, m.capabilities.join(','), m.load, m.idle_unload_seconds === undefined ? '-' : `${m.idle_unload_seconds} s`, describePath(m)]);
        print(table([['ID', 'ROLE', 'FORMAT', 'ADAPTER', 'CAPABILITIES', 'LOAD', 'IDLE UNLOAD', 'PATH'], ...rows]));
        print('\ndefault selection (seed 001 §3.1, a call with no hints):\n');
        const selections: Record<string, { model: string | null; reason: string }> = {};
        const selRows: string[][] = [];
        for (const capability of CAPABILITIES) {
          if (!ms.some((m) => m.capabilities.includes(capability))) {
            selections[capability] = { model: null, reason: 'no model can do it' };
            selRows.push([`  ${capability}`, '-', 'no model can do it']);
            continue;
          }
          const s = registry.select({ capability });
          selections[capability] = { model: s.manifest.id, reason: s.reason };
          selRows.push([`  ${capability}`, `-> ${s.manifest.id}`, s.reason]);
        }
        print(table(selRows));
        return {
          models: ms.map((m) => ({ id: m.id, role: m.role, format: m.format, adapter: m.adapter, capabilities: m.capabilities, load: m.load, idle_unload_seconds: m.idle_unload_seconds ?? null, path: m.path, exists: m.format === 'builtin' ? null : fs.existsSync(m.path) })),
          selections,
        };
      }),
    );

  models
    .command('validate')
    .description('check every manifest (schema, the five rules of seed 001 §9.1, the §10 naming); errors as FILE:LINE /path: message [CODE], exit 2')
    .option(...MANIFESTS_OPTION)
    .option('--verify', 'also check the model files: they exist, sha256 matches (unless skip_checksum), GGUF metadata is fit for llama.cpp, an ONNX folder is complete')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((f: { manifests?: string; verify?: boolean; jsonMetrics?: string }) =>
      runCommand('models validate', f.jsonMetrics, async ({ print }) => {
        const dir = f.manifests ?? DEFAULT_MANIFESTS_DIR;
        const { manifests, errors } = scanManifests(dir);
        const problems = [...errors];
        let verified = 0;
        if (f.verify) {
          for (const m of manifests) {
            const v = await verifyManifest(m);
            problems.push(...v.errors);
            if (m.format !== 'builtin' && v.errors.length === 0) verified++;
            const said = [...v.passed, ...v.skipped.map((s) => `not checked: ${s}`)].join(', ');
            print(`  ${v.errors.length === 0 ? 'ok  ' : 'FAIL'} ${m.id}: ${said || 'nothing checked'}\n`);
          }
        }
        if (problems.length > 0) throw new ValidationErrors(problems);
        print(`${rel(dir)}: ${manifests.length} manifests ok${f.verify ? `; ${verified} model files verified` : ''}\n`);
        return { valid: true, manifests: manifests.length, verified };
      }),
    );

  registerModelRunCommands(models);
}

function describePath(m: ModelManifest): string {
  if (m.format === 'builtin') return `${m.path} (built in)`;
  return `${rel(m.path)} (${fs.existsSync(m.path) ? 'exists' : 'MISSING'})`;
}
