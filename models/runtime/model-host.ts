import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { LoadedClassifier, LoadedEmbedder, LoadedGenerator } from '../types.ts';

export type LoadedModel =
  | { kind: 'generator'; model: LoadedGenerator }
  | { kind: 'embedder'; model: LoadedEmbedder }
  | { kind: 'classifier'; model: LoadedClassifier };

/** Turns a manifest into a loaded model (models/runtime/loaders.ts has the real ones; tests inject fakes). */
export type ModelLoader = (manifest: ModelManifest) => Promise<LoadedModel>;

export type HostState = 'unloaded' | 'loading' | 'loaded';

export interface ModelHostEvents {
  onLoad?(manifest: ModelManifest, ms: number): void;
  onUnload?(manifest: ModelManifest, reason: 'idle' | 'explicit', residentMs: number): void;
}

/**
 * The lifecycle of one model in this process: loaded lazily on first use
 * (or at start for `load: eager`), checksum verified on the first load unless
 * `skip_checksum`, unloaded after `idle_unload_seconds` without use (the
 * timer runs only while nobody holds the model), reloaded on the next use.
 */
export class ModelHost {
  private loaded: LoadedModel | undefined;
  private loading: Promise<LoadedModel> | undefined;
  private users = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private loadedAt = 0;
  private residentMs = 0;
  private verified = false;

  constructor(
    readonly manifest: ModelManifest,
    private readonly loader: ModelLoader,
    private readonly events: ModelHostEvents = {},
  ) {}

  get state(): HostState {
    return this.loaded ? 'loaded' : this.loading ? 'loading' : 'unloaded';
  }

  /** Seconds this model has been resident, over all its loads. */
  get residentSeconds(): number {
    return (this.residentMs + (this.loaded ? performance.now() - this.loadedAt : 0)) / 1000;
  }

  /** The loaded model, loading it if needed; pair with `release()`. */
  async acquire(): Promise<LoadedModel> {
    this.users++;
    this.cancelIdle();
    try {
      if (this.loaded) return this.loaded;
      this.loading ??= this.load().finally(() => (this.loading = undefined));
      return await this.loading;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  release(): void {
    if (this.users > 0) this.users--;
    if (this.users === 0 && this.loaded && this.manifest.idle_unload_seconds !== undefined) {
      this.idleTimer = setTimeout(() => void this.unload('idle'), this.manifest.idle_unload_seconds * 1000);
      this.idleTimer.unref();
    }
  }

  async unload(reason: 'idle' | 'explicit' = 'explicit'): Promise<void> {
    this.cancelIdle();
    const model = this.loaded;
    if (!model) return;
    this.loaded = undefined;
    const resident = performance.now() - this.loadedAt;
    this.residentMs += resident;
    await model.model.unload();
    this.events.onUnload?.(this.manifest, reason, resident);
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async load(): Promise<LoadedModel> {
    const t0 = performance.now();
    if (!this.verified && this.manifest.format !== 'builtin') {
      if (!fs.existsSync(this.manifest.path)) throw new MaasflowError('MODEL_LOAD', `model ${this.manifest.id}: ${this.manifest.path} does not exist (manifest ${this.manifest.file})`);
      if (!this.manifest.skip_checksum && this.manifest.checksum_sha256 !== null) {
        const actual = await sha256OfModel(this.manifest.path);
        if (actual !== this.manifest.checksum_sha256) {
          throw new MaasflowError('MODEL_INVALID', `model ${this.manifest.id}: checksum of ${this.manifest.path} is ${actual}, the manifest ${this.manifest.file} says ${this.manifest.checksum_sha256} (rule 4; set skip_checksum: true to load anyway)`);
        }
      }
      this.verified = true;
    }
    const model = await this.loader(this.manifest);
    this.loaded = model;
    this.loadedAt = performance.now();
    this.events.onLoad?.(this.manifest, this.loadedAt - t0);
    return model;
  }
}

/** sha256 of a model file, or of a model folder: its files in sorted relative-path order, each as path NUL content. */
export async function sha256OfModel(p: string): Promise<string> {
  const hash = createHash('sha256');
  const stat = fs.statSync(p);
  if (stat.isFile()) {
    for await (const chunk of fs.createReadStream(p)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
  const files = (fs.readdirSync(p, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(p, f)).isFile()).sort();
  for (const f of files) {
    hash.update(`${f.split(path.sep).join('/')}\0`);
    for await (const chunk of fs.createReadStream(path.join(p, f))) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
