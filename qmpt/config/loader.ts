/**
 * QMPT configuration files (config/features_text.yaml,
 * config/metrics_default.yaml, config/simulation_default.yaml): YAML or JSON
 * holding any of the sections `features`, `metrics`, `simulation`, merged
 * over DEFAULT_CONFIG (or another base), then validated whole: JSON Schema
 * (qmpt/config/schemas.ts) for shapes and ranges, configProblems for the
 * rest. Every problem is reported, each as `file:line path: message`.
 *
 * Merging: objects merge key by key (so one weight can be changed alone),
 * arrays (interventions, lexicons) replace the base's, and null removes an
 * optional part (features.model, features.modalities,
 * metrics.reflexivity.lexicon, simulation.scenario). A scenario whose `kind`
 * is given without `anomalous` gets that kind's count (baseline 0,
 * single_anomaly 1, multiple_anomalies 3) rather than the base's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import type { QmptConfig, ScenarioConfig } from '../types.ts';
import { QMPT_CONFIG_SCHEMA, configProblems, type ConfigProblem } from './schemas.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG_DIR = path.join(ROOT, 'config');

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The defaults: what the three shipped example configs hold (frozen; loadConfig returns copies). */
export const DEFAULT_CONFIG: QmptConfig = deepFreeze({
  features: { spec_id: 'text_v1', kind: 'text', model: 'builtin', max_length: 4096, statistics: true, embedding_dims: 8 },
  metrics: {
    anomaly: {
      density_model: 'gmm',
      gmm: { components: { min: 1, max: 8 }, covariance: 'full', reg_covar: 1e-6, min_component_share: 0.1, tol: 1e-3, max_iter: 100, n_init: 1 },
      kde: { bandwidth: 'scott', max_points: 2000 },
      distance_mode: 'mahalanobis',
      knn_k: 10,
      isolation: { trees: 100, sample_size: 256 },
      w1: 1.0,
      w2: 0.7,
      w3: 0.5,
      threshold: 0.9,
      seed: 42,
    },
    reflexivity: { beta_text: 0.6, beta_dyn: 0.4, text_half_saturation: 0.1, dyn_window: 16 },
    self_operator: { alpha_pop: 0.3, alpha_self: 0.3, alpha_meta: 0.2, alpha_R: 0.2 },
    layer: { window: 60, step: 10, strained: 0.4, critical: 0.7, breached: 0.5 },
  },
  simulation: {
    layer_id: 'L1',
    dt: 0.1,
    t_end: 60,
    model_id: 'stress_protection_v1',
    seed: 7,
    params: {
      k_load: 0.8, k_relax: 0.5, k_recover: 0.2, protection_target: 0.8, k_erode: 0.4, k_coh: 0.3, noise: 0.02, gamma: 0.6, tau: 0.8, rho: 0.5,
      initial_stress: 0.1, initial_protection: 0.8, initial_coherence: 0.5, strained: 0.4, critical: 0.7, breached: 0.5,
    },
    scenario: { kind: 'single_anomaly', patterns: 20, anomalous: 1, seed: 11 },
    interventions: [
      { t: 20, kind: 'stress_shock', value: 0.3 },
      { t: 35, kind: 'set_protection', value: 0.9 },
      { t: 45, kind: 'remove_pattern', pattern_id: 'anom-1' },
    ],
  },
});

export interface ConfigOptions {
  /** What the file is merged over (default DEFAULT_CONFIG): chain files by passing the previous result. */
  base?: QmptConfig;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const OPTIONAL_PARTS = [['features', 'model'], ['features', 'modalities'], ['metrics', 'reflexivity', 'lexicon'], ['simulation', 'scenario']] as const;
const ANOMALOUS_BY_KIND: Record<ScenarioConfig['kind'], number> = { baseline: 0, single_anomaly: 1, multiple_anomalies: 3 };

/**
 * A bare name ("metrics_default") is a shipped config/<name>.yaml; a path is
 * read from the working directory, else from the package root or its config/
 * (as operators/control/degradation.ts resolves its rules).
 */
export function resolveConfigPath(pathOrName: string): string {
  if (!/[\\/]/.test(pathOrName) && path.extname(pathOrName) === '') {
    const shipped = path.join(CONFIG_DIR, `${pathOrName}.yaml`);
    if (fs.existsSync(shipped)) return shipped;
    const names = fs.readdirSync(CONFIG_DIR).filter((f) => /^(features|metrics|simulation)_.*\.yaml$/.test(f)).map((f) => f.replace(/\.yaml$/, ''));
    throw new ValidationErrors([new MaasflowError('CONFIG', `no shipped QMPT config named "${pathOrName}" (shipped: ${names.sort().join(', ')}; or give a path)`)]);
  }
  if (path.isAbsolute(pathOrName) || fs.existsSync(pathOrName)) return path.resolve(pathOrName);
  const shipped = [path.join(ROOT, pathOrName), path.join(CONFIG_DIR, pathOrName)].find((f) => fs.existsSync(f));
  return shipped ?? path.resolve(pathOrName);
}

/** Reads, merges over the base and validates a config file; throws ValidationErrors listing every problem as `file:line /path: message`. */
export function loadConfig(pathOrName: string, options: ConfigOptions = {}): QmptConfig {
  const file = resolveConfigPath(pathOrName);
  if (!EXTENSIONS.has(path.extname(file).toLowerCase())) {
    throw new ValidationErrors([new MaasflowError('CONFIG', `a QMPT config is YAML (.yaml, .yml) or JSON (.json), not "${path.extname(file)}"`, { location: { file } })]);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationErrors([new MaasflowError('CONFIG', `cannot read the QMPT config: ${(err as Error).message}`, { location: { file } })]);
  }
  return parseConfigText(file, text, options);
}

/** A config given as YAML or JSON text; `file` names it in errors. */
export function parseConfigText(file: string, text: string, options: ConfigOptions = {}): QmptConfig {
  const { source, errors } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(errors);
  return fromSource(source, options.base ?? DEFAULT_CONFIG);
}

/** A config given as an object (the CLI, an HTTP body); errors name `where` and the path. */
export function parseConfig(value: unknown, where: string, options: ConfigOptions = {}): QmptConfig {
  const parsed = SourceFile.parse(where, JSON.stringify(value ?? null), 'CONFIG');
  try {
    if (!parsed.source) throw new ValidationErrors(parsed.errors);
    return fromSource(parsed.source, options.base ?? DEFAULT_CONFIG);
  } catch (err) {
    if (!(err instanceof ValidationErrors)) throw err;
    // the text was our own one-line rendering: its line numbers mean nothing to the caller
    throw new ValidationErrors(err.errors.map((e) => new MaasflowError(e.code, e.message, { location: { file: where, ...(e.location?.path === undefined ? {} : { path: e.location.path }) } })));
  }
}

function fromSource(source: SourceFile, base: QmptConfig): QmptConfig {
  const merged = mergeOver(base, source.data);
  const fail = (problems: ConfigProblem[]): never => {
    throw new ValidationErrors(problems.map((p) => source.error('CONFIG', p.path, p.message)));
  };
  const nonFinite = nonFiniteNumbers(merged, []);
  if (nonFinite.length > 0) fail(nonFinite);
  const structural = validateAgainst(QMPT_CONFIG_SCHEMA, merged, source, [], 'CONFIG');
  if (structural.length > 0) throw new ValidationErrors(structural);
  const config = merged as QmptConfig;
  const problems = configProblems(config);
  if (problems.length > 0) fail(problems);
  const lexicon = config.metrics.reflexivity.lexicon;
  if (lexicon) for (const list of [lexicon.self, lexicon.cognitive]) list?.forEach((w, i) => (list[i] = w.toLowerCase()));
  return config;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A fresh (unfrozen) tree: the file over the base as the module comment says. */
function mergeOver(base: QmptConfig, file: unknown): unknown {
  const merged = mergeValues(base, file);
  if (!isPlainObject(merged) || !isPlainObject(file)) return merged;
  for (const part of OPTIONAL_PARTS) {
    const parent = valueAt(merged, part.slice(0, -1));
    const key = part[part.length - 1]!;
    if (isPlainObject(parent) && parent[key] === null) delete parent[key];
  }
  const fileScenario = valueAt(file, ['simulation', 'scenario']);
  const scenario = valueAt(merged, ['simulation', 'scenario']);
  if (isPlainObject(fileScenario) && isPlainObject(scenario) && fileScenario.anomalous === undefined && typeof fileScenario.kind === 'string' && fileScenario.kind in ANOMALOUS_BY_KIND) {
    scenario.anomalous = ANOMALOUS_BY_KIND[fileScenario.kind as ScenarioConfig['kind']];
  }
  return merged;
}

function mergeValues(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = mergeValues(base[k], v);
  return out;
}

function valueAt(value: unknown, keys: readonly string[]): unknown {
  let cur = value;
  for (const k of keys) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

/** YAML has .nan and .inf, which a JSON Schema `number` admits: refused here, where they stand. */
function nonFiniteNumbers(value: unknown, at: (string | number)[]): ConfigProblem[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [{ path: at, message: `must be a finite number, got ${value}` }];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(v, [...at, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, [...at, k]));
  return [];
}
