import fs from 'node:fs';
import { MaasflowError } from '../../engine/errors.ts';
import { assignArm, type SplitArm } from './assignment.ts';
import { validateParams } from './params.ts';
import type { ChatRequest, MaasParams } from './types.ts';

export interface ParamVersion { readonly version: string; readonly params: MaasParams }

/** A running experiment as the parameter file publishes it: who gets which arm, and each arm's version. */
export interface RunningExperiment {
  readonly id: string;
  /** What is hashed to assign an arm. */
  readonly unit: 'user_id' | 'thread_id';
  readonly salt: string;
  readonly arms: readonly SplitArm[];
  /** Arm name -> its version (the active params with the arm's changes applied). */
  readonly versions: ReadonlyMap<string, ParamVersion>;
}

/** The version a run works under, and the experiment arm that chose it (if any). */
export interface RunVersion {
  readonly version: ParamVersion;
  readonly experiment_id: string | null;
  readonly variant: string | null;
}

interface ParamFile { active: ParamVersion; experiments: RunningExperiment[] }

/**
 * The active parameter version, from a JSON file
 * `{ "version": ID, "params": {...}, "experiments": [...] }` (missing factors
 * take their defaults). Re-read when the file changes, so a new version
 * applies from the next run on without a restart; a file that breaks a rule
 * is refused with a clear error and the previous content stays.
 *
 * `experiments` (optional) are the running experiments:
 * `{ "id", "unit": "user_id"|"thread_id", "salt"?, "arms": [{ "name", "ratio", "version", "params" }] }`;
 * an arm's `params` are changes to the active params. A request is assigned
 * an arm by the hash of its unit (operators/maas/assignment.ts), unless it
 * already names an experiment.
 */
export class FileParamSource {
  private current: ParamFile | undefined;
  private mtimeMs = -1;
  private problem: MaasflowError | undefined;

  constructor(readonly file: string) {}

  active(): ParamVersion {
    return this.load().active;
  }

  /** Running experiments of the current file. */
  experiments(): readonly RunningExperiment[] {
    return this.load().experiments;
  }

  /**
   * The version for one request: the arm of the experiment the request names
   * (when the file runs it), else the arm the first running experiment
   * assigns to its unit, else the active version.
   */
  forRequest(request: ChatRequest): RunVersion {
    const file = this.load();
    if (request.experiment_id !== undefined) {
      const named = file.experiments.find((e) => e.id === request.experiment_id);
      const arm = request.variant !== undefined ? named?.versions.get(request.variant) : undefined;
      return { version: arm ?? file.active, experiment_id: request.experiment_id, variant: request.variant ?? null };
    }
    const running = file.experiments[0];
    if (!running) return { version: file.active, experiment_id: null, variant: null };
    const arm = assignArm(running.unit === 'user_id' ? request.user_id : request.thread_id, running.salt, running.arms);
    return { version: running.versions.get(arm)!, experiment_id: running.id, variant: arm };
  }

  /** The error of the last change that was refused, if any (the previous version is still active). */
  get lastProblem(): MaasflowError | undefined { return this.problem; }

  private load(): ParamFile {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch (err) {
      throw new MaasflowError('CONFIG', `parameter file ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    if (stat.mtimeMs !== this.mtimeMs) {
      this.mtimeMs = stat.mtimeMs;
      try {
        this.current = parse(this.file, fs.readFileSync(this.file, 'utf8'));
        this.problem = undefined;
      } catch (err) {
        this.problem = err instanceof MaasflowError ? err : new MaasflowError('CONFIG', `${this.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (!this.current) throw this.problem!;
    return this.current;
  }
}

interface RawArm { name?: unknown; ratio?: unknown; version?: unknown; params?: unknown }
interface RawExperiment { id?: unknown; unit?: unknown; salt?: unknown; arms?: unknown }

function parse(file: string, text: string): ParamFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MaasflowError('CONFIG', `${file}: not valid JSON: ${(err as Error).message}`);
  }
  const o = json as { version?: unknown; params?: unknown; experiments?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.version !== 'string' || o.version.length === 0) {
    throw new MaasflowError('CONFIG', `${file}: expected { "version": "<id>", "params": { ... } } with a non-empty version`);
  }
  const active: ParamVersion = { version: o.version, params: validateParams(o.params ?? {}, `${file} /params`) };
  if (o.experiments === undefined) return { active, experiments: [] };
  if (!Array.isArray(o.experiments)) throw new MaasflowError('CONFIG', `${file} /experiments: must be an array`);
  const experiments = (o.experiments as RawExperiment[]).map((e, i) => parseExperiment(file, `/experiments/${i}`, e, active));
  const ids = experiments.map((e) => e.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new MaasflowError('CONFIG', `${file} /experiments: experiment "${dup}" is listed twice`);
  return { active, experiments };
}

function parseExperiment(file: string, at: string, e: RawExperiment, active: ParamVersion): RunningExperiment {
  const bad = (path: string, message: string): MaasflowError => new MaasflowError('CONFIG', `${file} ${at}${path}: ${message}`);
  if (typeof e !== 'object' || e === null) throw bad('', 'must be an object');
  if (typeof e.id !== 'string' || e.id.length === 0) throw bad('/id', 'must be a non-empty string');
  if (e.unit !== 'user_id' && e.unit !== 'thread_id') throw bad('/unit', `must be "user_id" or "thread_id", got ${JSON.stringify(e.unit)}`);
  if (e.salt !== undefined && typeof e.salt !== 'string') throw bad('/salt', 'must be a string');
  if (!Array.isArray(e.arms) || e.arms.length < 2) throw bad('/arms', 'must list at least two arms');
  const versions = new Map<string, ParamVersion>();
  const arms: SplitArm[] = (e.arms as RawArm[]).map((a, j) => {
    if (typeof a.name !== 'string' || a.name.length === 0) throw bad(`/arms/${j}/name`, 'must be a non-empty string');
    if (versions.has(a.name)) throw bad(`/arms/${j}/name`, `arm "${a.name}" is listed twice`);
    if (typeof a.ratio !== 'number' || !(a.ratio > 0) || a.ratio > 1) throw bad(`/arms/${j}/ratio`, `must be a number in (0, 1], got ${JSON.stringify(a.ratio)}`);
    if (typeof a.version !== 'string' || a.version.length === 0) throw bad(`/arms/${j}/version`, 'must be a non-empty string');
    const changes = (a.params ?? {}) as Record<string, unknown>;
    validateParams(changes, `${file} ${at}/arms/${j}/params`);
    versions.set(a.name, { version: a.version, params: validateParams({ ...active.params, ...changes }, `${file} ${at}/arms/${j}/params`) });
    return { name: a.name, ratio: a.ratio };
  });
  const total = arms.reduce((s, a) => s + a.ratio, 0);
  if (Math.abs(total - 1) > 1e-9) throw bad('/arms', `ratios must sum to 1, got ${total}`);
  return { id: e.id, unit: e.unit, salt: e.salt ?? e.id, arms, versions };
}
