/** Impact factors: validation messages, defaults, and docs/IMPACTS.md in sync. */
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { allowedText, DEFAULT_PARAMS, IMPACT_FACTORS, validateParams } from '../../../operators/maas/params.ts';
import { IMPACTS_DOC, renderImpacts } from '../../../scripts/gen-impacts.ts';

function errorOf(json: unknown): MaasflowError {
  try {
    validateParams(json, 'params/v7.json');
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'CONFIG');
    return err as MaasflowError;
  }
  throw new Error(`accepted ${JSON.stringify(json)}`);
}

test('defaults are valid and complete; a partial version takes the defaults', () => {
  assert.equal(validateParams({ ...DEFAULT_PARAMS }, 'defaults'), DEFAULT_PARAMS);
  assert.equal(Object.keys(DEFAULT_PARAMS).sort(), IMPACT_FACTORS.map((f) => f.name).sort());
  assert.equal(validateParams({ top_k: 12, system_prompt_version: 'v2' }, 'x'), { ...DEFAULT_PARAMS, top_k: 12, system_prompt_version: 'v2' });
  assert.equal(validateParams({}, 'x'), DEFAULT_PARAMS);
  assert.equal(validateParams({ top_k: 1, token_budget: 8192, temperature: 2, relevance_weight: 0 }, 'edges').token_budget, 8192);
});

test('each out-of-range or mistyped factor is named with its value and allowed range', () => {
  for (const f of IMPACT_FACTORS) {
    const bad: unknown[] = f.type === 'enum' ? ['v0', 3] : [f.min - 1, f.max + (f.type === 'integer' ? 1 : 0.5), String(f.default), null];
    if (f.type === 'integer') bad.push(f.min + 0.5);
    for (const value of bad) {
      const err = errorOf({ [f.name]: value });
      assert.ok(err.message.startsWith('params/v7.json: '), err.message);
      assert.ok(err.message.includes(`${f.name} = ${JSON.stringify(value)}`), err.message);
      assert.ok(err.message.includes(allowedText(f)), err.message);
    }
  }
  assert.match(errorOf({ top_k: 0 }).message, 'top_k = 0 is not allowed: expected integer 1..50');
  assert.match(errorOf({ system_prompt_version: 'v3' }).message, 'system_prompt_version = "v3" is not allowed: expected one of "v1", "v2"');
  assert.match(errorOf({ temperature: Number.NaN }).message, 'temperature = NaN');
});

test('unknown parameters are refused by name; all problems are reported at once', () => {
  assert.match(errorOf({ topk: 5 }).message, 'unknown parameter "topk"');
  const err = errorOf({ top_k: 99, recency_weight: -1, colour: 'red' });
  for (const part of ['top_k = 99', 'recency_weight = -1', 'unknown parameter "colour"']) assert.ok(err.message.includes(part), err.message);
  assert.match(errorOf([1]).message, 'must be a JSON object');
  assert.match(errorOf(null).message, 'must be a JSON object');
});

test('each factor default lies in its own range', () => {
  for (const f of IMPACT_FACTORS) {
    if (f.type === 'enum') assert.ok(f.allowed.includes(f.default), f.name);
    else assert.ok(f.default >= f.min && f.default <= f.max && (f.type === 'number' || Number.isInteger(f.default)), f.name);
  }
});

test('docs/IMPACTS.md is generated from IMPACT_FACTORS (run scripts/gen-impacts.ts when this fails)', () => {
  assert.fixture(fs.readFileSync(IMPACTS_DOC, 'utf8'), renderImpacts());
  for (const f of IMPACT_FACTORS) assert.ok(renderImpacts().includes(`| \`${f.name}\` |`), f.name);
});

test.run();
