/**
 * The model update process of seed 001 §15: a new version waits in a staging
 * folder (models/staging/*.yaml); both it and the active model warm up on the
 * control prompts; each gets a score (by default the share of prompts whose
 * expectation holds) with its latency and tokens/s; a candidate whose score is
 * more than `maxDrop` (5 %) below the active model's is rolled back (its
 * manifest stays in staging), otherwise it is promoted: its manifest moves
 * into the manifests folder, replacing the active model's manifest when it
 * is an upgrade of it (same family and purpose), by one rename, so the folder
 * never holds both or neither. Either way a Markdown report says what each
 * model answered and why the decision fell as it did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MaasflowError } from '../../engine/errors.ts';
import { scanManifests, type ModelManifest } from '../registry/manifest.ts';
import { ModelRegistry } from '../registry/registry.ts';
import { modelKind, summarizeWarmup, warmUpModel, type ControlPrompt, type ModelWarmup } from './control-prompts.ts';
import { InferenceService } from './inference-service.ts';
import { createModelLoader } from './loaders.ts';
import type { ModelLoader } from './model-host.ts';
import { renderUpdateReport } from './update-report.ts';

/** A model's score on its warm-up: higher is better; compared relatively, so any positive scale works. */
export type Scorer = (warmup: ModelWarmup) => number;

/** The default scorer: the share of control prompts with an expectation whose expectation held (a failed call counts as not holding). */
export const expectationScorer: Scorer = (w) => {
  const { judged, passed } = summarizeWarmup(w);
  if (judged === 0) throw new MaasflowError('CONFIG', `no control prompt of ${w.modelId} has an expectation to score: add "expect" to some prompts, or pass a scorer`);
  return passed / judged;
};

export interface UpdateOptions {
  /** The new version: a manifest parsed from a staging folder (not the manifests folder). */
  candidate: ModelManifest;
  /** The model it is measured against (and replaces, when of the same family and purpose). */
  active: ModelManifest;
  controlPrompts: readonly ControlPrompt[];
  /** Loads the models (default: the real loaders with `threads`). */
  loader?: ModelLoader;
  /** CPU threads of the default loader. */
  threads?: number;
  scorer?: Scorer;
  /** Largest relative drop of the score still promoted (default 0.05: 5 %). */
  maxDrop?: number;
  /** Where the Markdown report goes (created if missing). */
  reportDir: string;
  /** The active manifests folder (default: the active manifest's folder). */
  manifestsDir?: string;
  /** Per control prompt (default none). */
  timeoutMs?: number;
  /** The clock of the report's time stamp. */
  now?: () => Date;
}

export type UpdateDecision = 'promoted' | 'rolled_back';

export interface ModelOutcome {
  warmup: ModelWarmup;
  /** null when the model could not be scored (it failed to load or a prompt failed). */
  score: number | null;
}

export interface UpdateResult {
  decision: UpdateDecision;
  reason: string;
  reportPath: string;
  active: ModelOutcome;
  candidate: ModelOutcome;
  /** Relative score drop of the candidate (negative: it scored higher); null when it could not be scored. */
  drop: number | null;
  maxDrop: number;
  /** Where the candidate's manifest is now (moved on promotion, left in staging otherwise). */
  manifestPath: string;
  /** The active manifest the candidate replaced, and where a copy of it was kept; null when nothing was replaced. */
  replaced: { file: string; copy: string } | null;
}

/** Runs the §15 update: warm-up of both, scores, decision, promotion or rollback, report. */
export async function updateModel(o: UpdateOptions): Promise<UpdateResult> {
  const { candidate, active } = o;
  const maxDrop = o.maxDrop ?? 0.05;
  if (!(maxDrop >= 0 && maxDrop <= 1)) throw new MaasflowError('CONFIG', `maxDrop must be in [0, 1], got ${maxDrop}`);
  if (candidate.id === active.id) throw new MaasflowError('CONFIG', `the candidate ${candidate.file} has the id of the active model (${active.id}): a new version needs a new id (seed 001 §10: bump minor or major)`);
  if (modelKind(candidate) !== modelKind(active)) throw new MaasflowError('CONFIG', `the candidate ${candidate.id} is a ${modelKind(candidate)}, the active ${active.id} a ${modelKind(active)}: they cannot be compared`);
  if (!fs.existsSync(candidate.file)) throw new MaasflowError('CONFIG', `the candidate manifest ${candidate.file} does not exist`);
  const manifestsDir = path.resolve(o.manifestsDir ?? path.dirname(active.file));
  if (path.resolve(path.dirname(candidate.file)) === manifestsDir) throw new MaasflowError('CONFIG', `the candidate ${candidate.file} is already in the manifests folder: stage it elsewhere (e.g. models/staging/)`);
  const target = promotionTarget(candidate, active, manifestsDir);

  const scorer = o.scorer ?? expectationScorer;
  const service = new InferenceService({ registry: new ModelRegistry([active, candidate]), loader: o.loader ?? createModelLoader(o.threads === undefined ? {} : { threads: o.threads }) });
  // one model resident at a time: two large models may not fit together
  const runOne = async (m: ModelManifest): Promise<ModelWarmup> => {
    try {
      return await warmUpModel(service, m, o.controlPrompts, o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs });
    } finally {
      await service.host(m).unload();
    }
  };
  let activeRun: ModelWarmup;
  let activeScore: number;
  let candidateRun: ModelWarmup;
  try {
    activeRun = await runOne(active);
    if (activeRun.loadError !== null) throw new MaasflowError('MODEL_LOAD', `the active model ${active.id} could not be loaded, so there is no baseline to compare with: ${activeRun.loadError}`);
    activeScore = scorer(activeRun);
    candidateRun = await runOne(candidate);
  } finally {
    await service.close();
  }

  let decision: UpdateDecision;
  let reason: string;
  let candidateScore: number | null = null;
  let drop: number | null = null;
  const failed = candidateRun.prompts.filter((p) => p.error !== null);
  if (candidateRun.loadError !== null) {
    decision = 'rolled_back';
    reason = `the candidate could not be loaded: ${candidateRun.loadError}`;
  } else if (failed.length > 0) {
    decision = 'rolled_back';
    reason = `the candidate failed on ${failed.length} control prompt(s), first ${failed[0]!.id}: ${failed[0]!.error}`;
  } else {
    candidateScore = scorer(candidateRun);
    drop = activeScore > 0 ? (activeScore - candidateScore) / activeScore : candidateScore < activeScore ? Infinity : 0;
    const scores = `score ${fmt(candidateScore)} against the active model's ${fmt(activeScore)}`;
    const change = drop > 0 ? `${pct(drop)} lower` : drop < 0 ? `${pct(-drop)} higher` : 'the same';
    if (drop > maxDrop) {
      decision = 'rolled_back';
      reason = `${scores}: ${change}, more than the ${pct(maxDrop)} drop allowed`;
    } else {
      decision = 'promoted';
      reason = `${scores}: ${change}, within the ${pct(maxDrop)} drop allowed`;
    }
  }

  let manifestPath = candidate.file;
  let replaced: UpdateResult['replaced'] = null;
  const now = (o.now ?? (() => new Date()))();
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  fs.mkdirSync(o.reportDir, { recursive: true });
  if (decision === 'promoted') {
    if (target === active.file) {
      const copy = path.join(o.reportDir, `${stamp}-${active.id}.previous${path.extname(active.file)}`);
      fs.copyFileSync(active.file, copy);
      replaced = { file: active.file, copy };
    }
    writeAtomically(target, fs.readFileSync(candidate.file));
    fs.rmSync(candidate.file);
    manifestPath = target;
  }

  const result: UpdateResult = {
    decision,
    reason,
    reportPath: path.join(o.reportDir, `${stamp}-update-${candidate.id}.md`),
    active: { warmup: activeRun, score: activeScore },
    candidate: { warmup: candidateRun, score: candidateScore },
    drop,
    maxDrop,
    manifestPath,
    replaced,
  };
  writeAtomically(result.reportPath, renderUpdateReport({ result, candidate, active, stagedAt: candidate.file, at: now }));
  return result;
}

/**
 * Where a promoted candidate's manifest goes: over the active model's file
 * when it is an upgrade of it (same family and purpose, seed 001 §10),
 * otherwise beside it under its own file name. Checked before anything runs.
 */
function promotionTarget(candidate: ModelManifest, active: ModelManifest, manifestsDir: string): string {
  const { manifests } = scanManifests(manifestsDir);
  const taken = manifests.find((m) => m.id === candidate.id);
  if (taken) throw new MaasflowError('CONFIG', `rule 1: the manifests folder already has ${candidate.id} (${taken.file})`);
  const upgrade = candidate.name.family === active.name.family && candidate.name.purpose === active.name.purpose;
  if (upgrade) {
    if (path.resolve(path.dirname(active.file)) !== manifestsDir) throw new MaasflowError('CONFIG', `the active model's manifest ${active.file} is not in the manifests folder ${manifestsDir}`);
    return active.file;
  }
  const target = path.join(manifestsDir, path.basename(candidate.file));
  if (fs.existsSync(target)) throw new MaasflowError('CONFIG', `${target} exists: the candidate (family ${candidate.name.family}, purpose ${candidate.name.purpose}) is no upgrade of ${active.id} and its file name is taken; rename the staged file`);
  return target;
}

/** Writes a temp file beside `file`, flushes it, then renames it over `file`: readers see the old or the new content, never a part. */
export function writeAtomically(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

const fmt = (x: number): string => x.toFixed(3);
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'infinitely');
