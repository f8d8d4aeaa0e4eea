import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../engine/errors.ts';
import { parseManifest } from '../../models/registry/manifest.ts';
import { ModelRegistry } from '../../models/registry/registry.ts';
import { expectationHolds, loadControlPrompts, parseControlPrompts, summarizeWarmup, warmUpModel } from '../../models/runtime/control-prompts.ts';
import { InferenceService } from '../../models/runtime/inference-service.ts';

test('the shipped control prompts parse; maxTokens defaults to 16', () => {
  const prompts = loadControlPrompts();
  assert.ok(prompts.length >= 3);
  assert.ok(prompts.some((p) => p.expect === undefined), 'one prompt is timed, not judged');
  assert.is(parseControlPrompts('p.json', '[{"id": "a", "prompt": "x"}]')[0]!.maxTokens, 16);
});

test('expectations: a substring (case-sensitive) or /regex/flags', () => {
  assert.is(expectationHolds('jumps', ' jumps over'), true);
  assert.is(expectationHolds('Jumps', ' jumps over'), false);
  assert.is(expectationHolds('/^ JUMPS/i', ' jumps over'), true);
  assert.is(expectationHolds('/\\b4\\b|four/i', ' It is 4.'), true);
  assert.is(expectationHolds(undefined, 'anything'), null);
});

test('a bad prompt file: every problem with file:line /path', () => {
  const text = '[\n  {"id": "a", "prompt": "x", "expect": "/(unclosed/"},\n  {"id": "a", "prompt": "y"},\n  {"id": "b", "maxTokens": 0}\n]';
  try {
    parseControlPrompts('p.json', text);
    assert.unreachable('refused');
  } catch (e) {
    if (!(e instanceof ValidationErrors)) throw e;
    const lines = e.errors.map((x) => x.format());
    assert.ok(lines.some((l) => l.startsWith('p.json:4:') && l.includes('/2/prompt: missing required field "prompt"')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('p.json:4:') && l.includes('/2/maxTokens')), lines.join('\n'));
  }
  try {
    parseControlPrompts('p.json', text.replace(',\n  {"id": "b", "maxTokens": 0}', ''));
    assert.unreachable('refused');
  } catch (e) {
    if (!(e instanceof ValidationErrors)) throw e;
    const lines = e.errors.map((x) => x.format());
    assert.ok(lines.some((l) => /^p\.json:2:\d+ \/0\/expect: \/\(unclosed\/ is not a valid regular expression/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^p\.json:3:\d+ \/1\/id: control prompt id "a" is used twice/.test(l)), lines.join('\n'));
  }
});

test('a warm-up records a failed load and failed calls instead of throwing', async () => {
  const m = parseManifest('m.yaml', 'id: fake-0m-chat-f32-v1.0\nfamily: fake\nrole: micro\npath: builtin:fake\nformat: builtin\nquant: f32\ncontext_length: 64\ncapabilities: [chat]\nrevision: r1\nchecksum_sha256: none', '/');
  const prompts = parseControlPrompts('p.json', '[{"id": "a", "prompt": "x", "expect": "y"}, {"id": "b", "prompt": "z"}]');
  const broken = new InferenceService({ registry: new ModelRegistry([m]), loader: async () => Promise.reject(new Error('no such runtime')) });
  const w = await warmUpModel(broken, m, prompts);
  assert.equal([w.loadError, w.loadMs, w.prompts], ['no such runtime', null, []]);
  await broken.close();
  const failing = new InferenceService({
    registry: new ModelRegistry([m]),
    loader: async () => ({ kind: 'generator', model: { sequences: 1, countTokens: () => 1, generate: async () => Promise.reject(new Error('boom')), unload: async () => undefined } }),
  });
  const f = await warmUpModel(failing, m, prompts);
  assert.equal(f.prompts.map((p) => [p.id, p.pass, p.error]), [['a', false, 'boom'], ['b', null, 'boom']]);
  assert.equal(summarizeWarmup(f), { judged: 1, passed: 0, errors: 2, meanLatencyMs: null, tokensPerSecond: null });
  await failing.close();
});

test.run();
