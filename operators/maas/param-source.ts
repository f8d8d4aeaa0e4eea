import fs from 'node:fs';
import { MaasflowError } from '../../engine/errors.ts';
import { validateParams } from './params.ts';
import type { MaasParams } from './types.ts';

export interface ParamVersion { readonly version: string; readonly params: MaasParams }

/**
 * The active parameter version, from a JSON file `{ "version": ID, "params": {...} }`
 * (missing factors take their defaults). Re-read when the file changes, so a
 * new version applies from the next run on without a restart; a file that
 * breaks a rule is refused with a clear error and the previous version stays.
 */
export class FileParamSource {
  private current: ParamVersion | undefined;
  private mtimeMs = -1;
  private problem: MaasflowError | undefined;

  constructor(readonly file: string) {}

  active(): ParamVersion {
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

  /** The error of the last change that was refused, if any (the previous version is still active). */
  get lastProblem(): MaasflowError | undefined { return this.problem; }
}

function parse(file: string, text: string): ParamVersion {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MaasflowError('CONFIG', `${file}: not valid JSON: ${(err as Error).message}`);
  }
  const o = json as { version?: unknown; params?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.version !== 'string' || o.version.length === 0) {
    throw new MaasflowError('CONFIG', `${file}: expected { "version": "<id>", "params": { ... } } with a non-empty version`);
  }
  return { version: o.version, params: validateParams(o.params ?? {}, `${file} /params`) };
}
