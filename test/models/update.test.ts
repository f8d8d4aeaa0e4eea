/**
 * The model update process (seed 001 §15) on real tiny GGUF models the test
 * writes: a candidate as good as the active model is promoted (its manifest
 * replaces the active one's), a worse one is rolled back (nothing in the
 * manifests folder changes), a broken one never reaches llama.cpp; the score
 * threshold and a non-upgrade promotion with a fake loader.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MaasflowError } from '../../engine/errors.ts';
import { loadManifests, parseManifest, type ModelManifest } from '../../models/registry/manifest.ts';
import type { ControlPrompt } from '../../models/runtime/control-prompts.ts';
import { createModelLoader } from '../../models/runtime/loaders.ts';
import type { ModelLoader } from '../../models/runtime/model-host.ts';
import { updateModel } from '../../models/runtime/update.ts';
import { writeTinyGguf, type TinyGgufOptions } from '../support/models/tiny-gguf.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-update-'));
// one thread: on this 2-core machine llama.cpp is ~40x slower on the tiny model with two (CONVENTIONS.md)
const loader = createModelLoader({ threads: 1 });
/** Expectations the tiny model of seed 1 (layerScale 0.4) meets at temperature 0. */
const PROMPTS: ControlPrompt[] = [
  { id: 'fox', prompt: 'The quick brown fox', expect: 'jumps over', maxTokens: 10 },
  { id: 'lazy', prompt: 'the lazy', expect: 'lazy fox jumps', maxTokens: 10 },
  { id: 'dog', prompt: 'a lazy dog', expect: '/over a lazy dog/', maxTokens: 10 },
  { id: 'once', prompt: 'Once upon a time', expect: 'brown fox jumps over', maxTokens: 10 },
];

interface Setup {
  dir: string;
  manifests: string;
  staging: string;
  reports: string;
  active: ModelManifest;
  stage(file: string, id: string, weights: TinyGgufOptions | null, extra?: string): ModelManifest;
}

const manifestText = (id: string, file: string, sha: string | null, extra = ''): string =>
  `id: ${id}\nfamily: ${id.split('-')[0]}\nrole: lightweight\npath: ${file}\nformat: gguf\nquant: f32\ncontext_length: 256\ncapabilities: [chat]\nrevision: r1\n` +
  `checksum_sha256: ${sha ?? 'none'}\n${sha === null ? 'skip_checksum: true\n' : ''}${extra}`;

/** A manifests folder with the active tiny model (seed 1), a staging folder, a reports folder. */
function setup(name: string): Setup {
  const dir = path.join(root, name);
  const [manifests, staging, reports] = ['manifests', 'staging', 'reports'].map((d) => path.join(dir, d)) as [string, string, string];
  for (const d of [manifests, staging]) fs.mkdirSync(d, { recursive: true });
  const gguf = path.join(dir, 'active.gguf');
  const { sha256 } = writeTinyGguf(gguf, { seed: 1 });
  fs.writeFileSync(path.join(manifests, 'tiny-chat.yaml'), manifestText('tiny-0m-chat-f32-v1.0', gguf, sha256, 'idle_unload_seconds: 300\n'));
  const [active] = loadManifests(manifests, dir);
  return {
    dir,
    manifests,
    staging,
    reports,
    active: active!,
    stage(file, id, weights, extra) {
      const model = path.join(dir, `${file}.gguf`);
      const sha = weights ? writeTinyGguf(model, weights).sha256 : (fs.writeFileSync(model, 'fake'), null);
      const manifest = path.join(staging, `${file}.yaml`);
      fs.writeFileSync(manifest, manifestText(id, model, sha, extra));
      return parseManifest(manifest, fs.readFileSync(manifest, 'utf8'), dir);
    },
  };
}

/** Every file of a folder with its content. */
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));

test('a candidate as good as the active model is promoted: its manifest replaces the active one, atomically', async () => {
  const s = setup('promote');
  const candidate = s.stage('tiny-chat', 'tiny-0m-chat-f32-v1.1', { seed: 1 });
  const r = await updateModel({ candidate, active: s.active, loader, controlPrompts: PROMPTS, reportDir: s.reports });
  assert.is(r.decision, 'promoted', r.reason);
  assert.equal([r.active.score, r.candidate.score, r.drop], [1, 1, 0]);
  assert.match(r.reason, 'score 1.000 against the active model\'s 1.000: the same, within the 5.0 % drop allowed');
  assert.equal(fs.readdirSync(s.manifests), ['tiny-chat.yaml'], 'the candidate took the active model\'s file; no temp file left');
  assert.equal(loadManifests(s.manifests, s.dir).map((m) => m.id), ['tiny-0m-chat-f32-v1.1']);
  assert.equal(fs.readdirSync(s.staging), [], 'moved out of staging');
  assert.ok(r.replaced && fs.readFileSync(r.replaced.copy, 'utf8').includes('id: tiny-0m-chat-f32-v1.0'), 'the replaced manifest is kept beside the report');
  const report = fs.readFileSync(r.reportPath, 'utf8');
  assert.match(report, '# Model update: tiny-0m-chat-f32-v1.1 against tiny-0m-chat-f32-v1.0');
  assert.match(report, '- **Decision: promoted**');
  assert.match(report, /\| fox: The quick brown fox \| `jumps over` \| " jumps over[^|]*" \| ✓ \| [\d.]+ \| " jumps over[^|]*" \| ✓ \| [\d.]+ \|/);
  assert.match(report, '| expectations held | 4/4 | 4/4 |');
});

test('a worse candidate (other weights) is rolled back: it stays in staging, the manifests folder is untouched', async () => {
  const s = setup('rollback');
  const candidate = s.stage('tiny-chat', 'tiny-0m-chat-f32-v1.1', { seed: 1, layerScale: 3 });
  const before = snapshot(s.manifests);
  const r = await updateModel({ candidate, active: s.active, loader, controlPrompts: PROMPTS, reportDir: s.reports });
  assert.is(r.decision, 'rolled_back');
  assert.is(r.active.score, 1);
  assert.ok(r.candidate.score! < 0.5, `candidate score ${r.candidate.score}`);
  assert.match(r.reason, /^score 0\.\d+ against the active model's 1\.000: \d+\.\d % lower, more than the 5\.0 % drop allowed$/);
  assert.equal(snapshot(s.manifests), before);
  assert.ok(fs.existsSync(candidate.file), 'the candidate manifest stays in staging');
  assert.is(r.manifestPath, candidate.file);
  assert.is(r.replaced, null);
  const report = fs.readFileSync(r.reportPath, 'utf8');
  assert.match(report, '- **Decision: rolled back**');
  assert.match(report, `- Why: ${r.reason}`);
  assert.match(report, /\| ✗ \|/);
  assert.match(report, 'the manifests folder is unchanged');
});

test('a candidate whose GGUF would crash llama.cpp is rolled back before llama.cpp sees it', async () => {
  const s = setup('broken');
  const candidate = s.stage('tiny-chat', 'tiny-0m-chat-f32-v1.1', { seed: 1, omitKeys: ['llama.feed_forward_length'] });
  const before = snapshot(s.manifests);
  const r = await updateModel({ candidate, active: s.active, loader, controlPrompts: PROMPTS, reportDir: s.reports });
  assert.is(r.decision, 'rolled_back');
  assert.match(r.reason, /^the candidate could not be loaded: .*metadata key 'llama\.feed_forward_length' is missing.*\[MODEL_INVALID\]$/);
  assert.is(r.candidate.score, null);
  assert.equal(snapshot(s.manifests), before);
  assert.match(fs.readFileSync(r.reportPath, 'utf8'), /\| load ms \| \d+ \| failed: /);
});

/** A fake generator per model id: `answers[id]` maps a prompt to its completion. */
function fakeLoader(answers: Record<string, Record<string, string>>): ModelLoader {
  return async (m) => ({
    kind: 'generator',
    model: {
      sequences: 1,
      countTokens: (t) => t.length,
      generate: async (_seq, prompt) => ({ text: answers[m.id]?.[prompt] ?? '', promptTokens: 1, completionTokens: 2 }),
      unload: async () => undefined,
    },
  });
}

const GOOD = Object.fromEntries(PROMPTS.map((p) => [p.prompt, ` ${p.expect!.replace(/\//g, '')}`]));
const THREE_OF_FOUR = { ...GOOD, 'the lazy': ' dog' };

test('the threshold: a 25 % drop is rolled back at max drop 5 % and promoted at 30 %', async () => {
  for (const [maxDrop, decision] of [[0.05, 'rolled_back'], [0.3, 'promoted']] as const) {
    const s = setup(`threshold-${maxDrop}`);
    const candidate = s.stage('tiny-chat', 'tiny-0m-chat-f32-v1.1', null);
    const r = await updateModel({ candidate, active: s.active, loader: fakeLoader({ [s.active.id]: GOOD, [candidate.id]: THREE_OF_FOUR }), controlPrompts: PROMPTS, reportDir: s.reports, maxDrop });
    assert.is(r.decision, decision, r.reason);
    assert.equal([r.active.score, r.candidate.score, r.drop], [1, 0.75, 0.25]);
    assert.match(r.reason, '25.0 % lower');
  }
});

test('a candidate of another family is no upgrade: promoted beside the active model; a custom scorer', async () => {
  const s = setup('beside');
  const candidate = s.stage('other-chat', 'other-0m-chat-f32-v1.0', null);
  const activeFile = fs.readFileSync(s.active.file, 'utf8');
  // a scorer that prefers shorter answers: the candidate answers in one word
  const scorer = (w: { prompts: { output: string }[] }): number => 1 / (1 + w.prompts.reduce((n, p) => n + p.output.length, 0));
  const r = await updateModel({ candidate, active: s.active, loader: fakeLoader({ [s.active.id]: GOOD, [candidate.id]: {} }), controlPrompts: PROMPTS, reportDir: s.reports, scorer });
  assert.is(r.decision, 'promoted', r.reason);
  assert.ok(r.drop! < 0, 'the candidate scored higher');
  assert.equal(fs.readdirSync(s.manifests), ['other-chat.yaml', 'tiny-chat.yaml']);
  assert.is(fs.readFileSync(s.active.file, 'utf8'), activeFile, 'the active model stays');
  assert.is(r.replaced, null);
  assert.equal(loadManifests(s.manifests, s.dir).map((m) => m.id).sort(), ['other-0m-chat-f32-v1.0', 'tiny-0m-chat-f32-v1.0']);
});

test('refused before anything runs: the same id, a candidate already in the manifests folder, prompts with nothing to score', async () => {
  const s = setup('refused');
  const fake = fakeLoader({});
  const refuse = async (o: Partial<Parameters<typeof updateModel>[0]>, needle: string): Promise<void> => {
    await updateModel({ candidate: s.stage('tiny-chat', 'tiny-0m-chat-f32-v1.1', null), active: s.active, loader: fake, controlPrompts: PROMPTS, reportDir: s.reports, ...o }).then(
      () => assert.unreachable('refused'),
      (e: MaasflowError) => {
        assert.is(e.code, 'CONFIG');
        assert.match(e.message, needle);
      },
    );
  };
  await refuse({ candidate: s.stage('same', 'tiny-0m-chat-f32-v1.0', null) }, 'a new version needs a new id');
  await refuse({ candidate: { ...s.active, id: 'tiny-0m-chat-f32-v2.0' } }, 'is already in the manifests folder');
  await refuse({ controlPrompts: PROMPTS.map(({ expect: _, ...p }) => p) }, 'no control prompt of tiny-0m-chat-f32-v1.0 has an expectation to score');
  await refuse({ maxDrop: 2 }, 'maxDrop must be in [0, 1]');
  assert.is(fs.existsSync(s.reports), false, 'no report for a refused update');
});

test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test.run();
