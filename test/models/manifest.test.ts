import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../engine/errors.ts';
import { loadManifests, parseManifest } from '../../models/registry/manifest.ts';
import { compareVersions, formatModelName, parseModelName } from '../../models/registry/naming.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';

const SHA = 'a'.repeat(64);
const base = (over: Record<string, string> = {}): string =>
  Object.entries({
    id: 'qwen2.5-7b-instruct-q5_k_m-v1.1',
    family: 'qwen2.5',
    role: 'lightweight',
    path: 'models/qwen.gguf',
    format: 'gguf',
    quant: 'Q5_K_M',
    context_length: '4096',
    capabilities: '[chat]',
    revision: '"2026-11-22"',
    checksum_sha256: SHA,
    ...over,
  })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

function problems(text: string): string[] {
  try {
    parseManifest('m.yaml', text, '/models');
  } catch (e) {
    if (e instanceof ValidationErrors) return e.errors.map((x) => x.format());
    throw e;
  }
  assert.unreachable('refused');
  return [];
}

test('the §10 notation: parsed, formatted back, ordered by version', () => {
  const n = parseModelName('gpt-oss-20b-chat-q4_k_m-v2.0.1')!;
  assert.equal(n, { family: 'gpt-oss', size: '20b', purpose: 'chat', quant: 'q4_k_m', major: 2, minor: 0, patch: 1 });
  assert.is(formatModelName(n), 'gpt-oss-20b-chat-q4_k_m-v2.0.1');
  assert.is(parseModelName('gpt-oss-20b-q4km'), null, 'the seed\'s own example id lacks purpose and version');
  assert.ok(compareVersions(parseModelName('a-7b-chat-q4-v1.2')!, parseModelName('a-7b-chat-q4-v1.10')!) < 0);
});

test('a good manifest: defaults (load by role, adapter by format, embedding by capability), path resolved', () => {
  const m = parseManifest('m.yaml', base(), '/models');
  assert.equal([m.load, m.adapter, m.embedding, m.path, m.skip_checksum, m.sequences], ['on_demand', 'llama_cpp', false, '/models/models/qwen.gguf', false, 1]);
  assert.is(parseManifest('m.yaml', base({ role: 'primary' }), '/').load, 'eager', 'a primary is loaded at start');
});

const RULES: [string, Record<string, string>, string][] = [
  ['rule 2: primary on demand', { role: 'primary', load: 'on_demand' }, 'm.yaml:11:1 /load: rule 2: a primary model must not be on_demand'],
  ['rule 3: idle unload of an eager model', { load: 'eager', idle_unload_seconds: '300' }, '/idle_unload_seconds: rule 3: idle_unload_seconds needs load: on_demand'],
  ['rule 4: a file without its checksum', { checksum_sha256: 'none' }, '/checksum_sha256: rule 4: a model file needs its sha256'],
  ['rule 5: reasoning modes of a plain chat model', { reasoning_modes: '[low, high]' }, '/reasoning_modes: rule 5: reasoning_modes are allowed only for role optional_moe or capabilities with plan or judge'],
  ['§10 naming', { id: 'my-model' }, '/id: "my-model" does not follow the notation'],
  ['family differs from the id', { family: 'qwen' }, '/family: "qwen" is not the family in the id ("qwen2.5")'],
  ['quant differs from the id', { quant: 'Q4_K_M' }, '/quant: "Q4_K_M" is not the quantisation in the id ("q5_k_m")'],
  ['unknown role', { role: 'boss' }, '/role: must be one of'],
  ['missing field', { context_length: '' }, 'missing required field "context_length"'],
  ['bad checksum', { checksum_sha256: 'abc' }, '/checksum_sha256'],
  ['adapter cannot run the format', { adapter: 'transformers' }, '/adapter: adapter transformers cannot run format gguf'],
  ['builtin path on a file format', { path: 'builtin:x' }, '/path: builtin: paths are for format builtin'],
];
for (const [name, over, needle] of RULES) {
  test(`refused: ${name}`, () => {
    const found = problems(base(over));
    assert.ok(found.some((p) => p.includes(needle)), `expected "${needle}" in\n${found.join('\n')}`);
  });
}

test('rule 4 can be skipped explicitly; reasoning modes are fine for a judge', () => {
  assert.is(parseManifest('m.yaml', base({ checksum_sha256: 'none', skip_checksum: 'true' }), '/').checksum_sha256, null);
  assert.equal(parseManifest('m.yaml', base({ capabilities: '[chat, judge]', reasoning_modes: '[low, high]' }), '/').reasoning_modes, ['low', 'high']);
});

test('rule 1: an id used by two files is refused, naming both; every file\'s problems come at once', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-manifests-'));
  fs.writeFileSync(path.join(dir, 'a.yaml'), base());
  fs.writeFileSync(path.join(dir, 'b.yaml'), base());
  fs.writeFileSync(path.join(dir, 'c.yaml'), base({ id: 'x-7b-chat-q4-v1.0', family: 'x', quant: 'q4', role: 'primary', load: 'on_demand' }));
  try {
    loadManifests(dir, dir);
    assert.unreachable();
  } catch (e) {
    const lines = (e as ValidationErrors).errors.map((x) => x.format());
    assert.ok(lines.some((l) => l.includes('b.yaml:1:1 /id: rule 1: id "qwen2.5-7b-instruct-q5_k_m-v1.1" is already used by') && l.includes('a.yaml')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('c.yaml') && l.includes('rule 2')), lines.join('\n'));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the shipped manifests (built-ins) validate', () => {
  const r = ModelRegistry.load();
  assert.equal(r.manifests.map((m) => m.id), ['builtin-tiny-extractive-none-v1.0', 'builtin-tiny-hashembed-none-v1.0', 'builtin-tiny-judge-none-v1.0', 'builtin-tiny-keywords-none-v1.0']);
});

test('selection policy §3.1 with the reason recorded; files before built-ins; fallbacks named', () => {
  const m = (id: string, role: string, caps: string): ReturnType<typeof parseManifest> => {
    const n = parseModelName(id)!;
    return parseManifest(`${id}.yaml`, base({ id, family: n.family, quant: n.quant, role, capabilities: caps }), '/');
  };
  const r = new ModelRegistry([
    m('big-8b-chat-q4-v1.0', 'primary', '[chat, long_context]'),
    m('small-1b-chat-q4-v1.0', 'lightweight', '[chat]'),
    m('other-8b-chat-q4-v1.0', 'secondary', '[chat, judge]'),
    ...ModelRegistry.load().manifests,
  ]);
  const pick = (q: Parameters<ModelRegistry['select']>[0]): [string, string] => {
    const s = r.select(q);
    return [s.manifest.id, s.reason];
  };
  assert.equal(pick({ capability: 'chat', fullContext: true }), ['big-8b-chat-q4-v1.0', 'full context needed -> primary']);
  assert.equal(pick({ capability: 'chat', fullContext: false, latencyCritical: true }), ['small-1b-chat-q4-v1.0', 'latency-critical -> lightweight']);
  assert.equal(pick({ capability: 'chat', resourcesBusy: true }), ['small-1b-chat-q4-v1.0', 'resources busy -> lightweight']);
  assert.equal(pick({ capability: 'chat', comparison: true }), ['other-8b-chat-q4-v1.0', 'A/B comparison -> secondary']);
  assert.equal(pick({ capability: 'chat', micro: true }), ['small-1b-chat-q4-v1.0', 'micro check -> micro; no micro model can do chat, fell back to lightweight']);
  assert.equal(pick({ capability: 'judge', micro: true }), ['other-8b-chat-q4-v1.0', 'micro check -> micro; no micro model can do judge, fell back to secondary'], 'a model file before the built-in judge');
  assert.equal(pick({ capability: 'embedding' }), ['builtin-tiny-hashembed-none-v1.0', 'default -> primary; built-in (no model file can do it)']);
  assert.throws(() => r.select({ capability: 'classification' }), /no model in the registry can do classification/);
  assert.throws(() => r.get('nope'), /no model "nope" in the registry \(known: /);
});

test.run();
