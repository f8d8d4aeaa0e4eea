// `maasflow models list|validate|warmup|update` as a user runs them (child processes), on a tiny GGUF and a tiny ONNX model the test writes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256OfModel } from '../../models/runtime/model-host.ts';
import { writeTinyGguf } from '../support/models/tiny-gguf.ts';
import { writeTinyEmbeddingModel } from '../support/models/tiny-onnx.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'maasflow.js'), 'models', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-models-cli-'));
const good = path.join(dir, 'manifests');
fs.mkdirSync(good);
const gguf = path.join(dir, 'tiny.gguf');
const { sha256 } = writeTinyGguf(gguf, { seed: 1 });
const onnx = path.join(dir, 'tiny-embed');
writeTinyEmbeddingModel(onnx, { seed: 2 });
const onnxSha = await sha256OfModel(onnx);

/** A manifest, one key per line: id 1, family 2, role 3, path 4, ... checksum_sha256 10, then `extra`. */
const manifest = (id: string, role: string, file: string, format: string, caps: string, sha: string, extra = ''): string =>
  `id: ${id}\nfamily: tiny\nrole: ${role}\npath: ${file}\nformat: ${format}\nquant: f32\ncontext_length: 256\ncapabilities: [${caps}]\nrevision: r1\nchecksum_sha256: ${sha}\n${extra}`;
fs.writeFileSync(path.join(good, 'tiny-chat.yaml'), manifest('tiny-0m-chat-f32-v1.0', 'lightweight', gguf, 'gguf', 'chat', sha256, 'idle_unload_seconds: 300\n'));
fs.writeFileSync(path.join(good, 'tiny-embed.yaml'), manifest('tiny-1m-embed-f32-v1.0', 'primary', onnx, 'onnx', 'embedding', onnxSha));

test('list: the table with paths that exist, and what §3.1 selects for each capability, and why', () => {
  const metrics = path.join(dir, 'list.json');
  const r = cli('list', '--manifests', good, '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, `2 models in ${good}`);
  assert.match(r.stdout, /^ID +ROLE +FORMAT +ADAPTER +CAPABILITIES +LOAD +IDLE UNLOAD +PATH$/m);
  assert.match(r.stdout, new RegExp(`^tiny-0m-chat-f32-v1\\.0 +lightweight +gguf +llama_cpp +chat +on_demand +300 s +${gguf} \\(exists\\)$`, 'm'));
  assert.match(r.stdout, new RegExp(`^tiny-1m-embed-f32-v1\\.0 +primary +onnx +transformers +embedding +eager +- +${onnx} \\(exists\\)$`, 'm'));
  assert.match(r.stdout, /^ {2}chat +-> tiny-0m-chat-f32-v1\.0 +default -> primary; no primary model can do chat, fell back to lightweight$/m);
  assert.match(r.stdout, /^ {2}embedding +-> tiny-1m-embed-f32-v1\.0 +default -> primary$/m);
  assert.match(r.stdout, /^ {2}judge +- +no model can do it$/m);
  const m = JSON.parse(fs.readFileSync(metrics, 'utf8')).metric as { models: { id: string; exists: boolean }[]; selections: Record<string, { model: string | null }> };
  assert.equal(m.models.map((x) => [x.id, x.exists]), [['tiny-0m-chat-f32-v1.0', true], ['tiny-1m-embed-f32-v1.0', true]]);
  assert.is(m.selections.chat!.model, 'tiny-0m-chat-f32-v1.0');
});

test('validate --verify: good files pass; a checksum mismatch, a metadata-broken GGUF and a bad manifest are reported at file:line, exit 2', () => {
  const ok = cli('validate', '--manifests', good, '--verify');
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, 'ok   tiny-0m-chat-f32-v1.0: file exists, sha256, GGUF metadata and tensors');
  assert.match(ok.stdout, 'ok   tiny-1m-embed-f32-v1.0: folder exists, sha256, ONNX folder complete');
  assert.match(ok.stdout, `${good}: 2 manifests ok; 2 model files verified`);

  const bad = path.join(dir, 'bad');
  fs.cpSync(good, bad, { recursive: true });
  const broken = path.join(dir, 'broken.gguf');
  const brokenSha = writeTinyGguf(broken, { omitKeys: ['llama.attention.head_count'] }).sha256;
  fs.writeFileSync(path.join(bad, 'sum.yaml'), manifest('tiny-0m-sum-f32-v1.0', 'micro', gguf, 'gguf', 'chat', 'f'.repeat(64)));
  fs.writeFileSync(path.join(bad, 'broken.yaml'), manifest('tiny-0m-broken-f32-v1.0', 'micro', broken, 'gguf', 'chat', brokenSha));
  fs.writeFileSync(path.join(bad, 'rule2.yaml'), manifest('tiny-0m-rule-f32-v1.0', 'primary', gguf, 'gguf', 'chat', sha256, 'load: on_demand\n'));

  const r = cli('validate', '--manifests', bad, '--verify');
  assert.is(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 3, r.stderr);
  assert.is(lines[0], `error: ${bad}/rule2.yaml:11:1 /load: rule 2: a primary model must not be on_demand (it is loaded at start) [CONFIG]`);
  assert.ok(lines.includes(`error: ${bad}/broken.yaml:4:1 /path: ${broken}: metadata key 'llama.attention.head_count' is missing (required for architecture 'llama'; llama.cpp aborts the process without it) [MODEL_INVALID]`), r.stderr);
  assert.ok(lines.some((l) => l.startsWith(`error: ${bad}/sum.yaml:10:1 /checksum_sha256: rule 4: sha256 of ${gguf} is ${sha256}, not ${'f'.repeat(64)}`) && l.endsWith('[MODEL_INVALID]')), r.stderr);
  assert.match(r.stdout, 'ok   tiny-0m-chat-f32-v1.0', 'the good models of the folder are still verified');
  assert.match(r.stdout, 'FAIL tiny-0m-sum-f32-v1.0');
});

test('warmup: the tiny GGUF on the shipped control prompts (1 thread) and the tiny embedder; --strict fails on expectations', () => {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'config', 'control-prompts.json'), 'utf8')) as { id: string }[];
  const metrics = path.join(dir, 'warmup.json');
  const r = cli('warmup', '--manifests', good, '--threads', '1', '--json-metrics', metrics);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^tiny-0m-chat-f32-v1\.0 \(generator, llama_cpp\): loaded in [\d.]+ ms$/m);
  assert.match(r.stdout, /^ {2}pangram +ok +[\d.]+ ms +8 tokens +\d+ tokens\/s +" jumps[^"]*" +\(expect jumps\)$/m, 'the tiny model knows the pangram');
  assert.match(r.stdout, /^ {2}capital-fr +FAIL +[\d.]+ ms/m, 'and nothing of France');
  assert.match(r.stdout, /^tiny-1m-embed-f32-v1\.0 \(embedder, transformers\): loaded in [\d.]+ ms, dim 32$/m);
  const report = JSON.parse(fs.readFileSync(metrics, 'utf8')) as { metric: { models: { modelId: string; prompts: { id: string; pass: boolean | null; tokensPerSecond: number | null }[]; summary: { passed: number; errors: number } }[] }; status: { warnings: string[] } };
  const [llm, embedder] = report.metric.models;
  assert.equal(llm!.prompts.map((p) => p.id), shipped.map((p) => p.id));
  assert.ok(llm!.prompts.every((p) => p.tokensPerSecond! > 0));
  assert.equal([llm!.summary.passed >= 1, llm!.summary.errors, embedder!.summary.errors], [true, 0, 0]);
  assert.ok(embedder!.prompts.every((p) => p.pass === null), 'embeddings are timed, not judged');
  assert.match(report.status.warnings.join(), /\d+ expectations did not hold/);

  const strict = cli('warmup', '--manifests', good, '--model', 'tiny-0m-chat-f32-v1.0', '--threads', '1', '--strict');
  assert.is(strict.status, 1);
  assert.match(strict.stderr, /error: \d+ expectations did not hold \(--strict\) \[MODEL_INVALID\]/);
});

test('update: a worse staged candidate is rolled back (exit 3), the manifests folder unchanged, the report written', () => {
  const manifests = path.join(dir, 'update-manifests');
  fs.cpSync(good, manifests, { recursive: true });
  const staging = path.join(dir, 'staging');
  fs.mkdirSync(staging);
  const worse = path.join(dir, 'worse.gguf');
  const candidate = path.join(staging, 'tiny-chat.yaml');
  fs.writeFileSync(candidate, manifest('tiny-0m-chat-f32-v1.1', 'lightweight', worse, 'gguf', 'chat', writeTinyGguf(worse, { seed: 1, layerScale: 3 }).sha256));
  const prompts = path.join(dir, 'prompts.json');
  fs.writeFileSync(prompts, JSON.stringify([
    { id: 'fox', prompt: 'The quick brown fox', expect: 'jumps over', maxTokens: 10 },
    { id: 'dog', prompt: 'a lazy dog', expect: '/over a lazy dog/', maxTokens: 10 },
  ]));
  const before = fs.readdirSync(manifests).map((f) => fs.readFileSync(path.join(manifests, f), 'utf8'));
  const reports = path.join(dir, 'reports');
  const r = cli('update', '--candidate', candidate, '--manifests', manifests, '--prompts', prompts, '--threads', '1', '--report-dir', reports);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stdout, 'update: tiny-0m-chat-f32-v1.1 against tiny-0m-chat-f32-v1.0 on 2 control prompts (roll back if the score drops more than 5.0 %)');
  assert.match(r.stdout, /^ {2}active {4}tiny-0m-chat-f32-v1\.0: score 1\.000 \(2\/2 expectations held, 0 failed calls\), loaded in/m);
  assert.match(r.stdout, /^rolled back: score 0\.000 against the active model's 1\.000: 100\.0 % lower, more than the 5\.0 % drop allowed$/m);
  assert.equal(fs.readdirSync(manifests).map((f) => fs.readFileSync(path.join(manifests, f), 'utf8')), before);
  assert.ok(fs.existsSync(candidate));
  const [report] = fs.readdirSync(reports);
  assert.match(r.stdout, `report: ${path.join(reports, report!)}`);
  assert.match(fs.readFileSync(path.join(reports, report!), 'utf8'), '- **Decision: rolled back**');
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
