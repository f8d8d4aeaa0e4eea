/** The built-in extractive responder and the versioned system prompts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { contextBlock, IDK, respondExtractive, SYSTEM_PROMPT_VERSIONS, systemPrompt } from '../../../models/builtin/responder.ts';
import { countTokens, extractKeywords } from '../../../models/builtin/keywords.ts';

const memories = [
  { id: 'm-work', text: 'I work as a nurse. The shifts are long.' },
  { id: 'm-dog', text: "We adopted him in 2019. My dog's name is Rex and he is a beagle." },
  { id: 'm-city', text: 'I live in Lisbon.' },
];
const ask = (question: string, version = 'v1', mems = memories) =>
  respondExtractive({ question, keywords: extractKeywords(question, 5), memories: mems, systemPromptVersion: version });

test('answers a planted fact with the best-matching memory sentence', () => {
  const out = ask('What is the name of my dog?');
  assert.is(out.answer, "My dog's name is Rex and he is a beagle.");
  assert.equal(out.usedMemoryIds, ['m-dog']);
  assert.equal(ask('Where do I live?').usedMemoryIds, ['m-city']);
  assert.match(ask('Where do I live?').answer, 'Lisbon');
});

test('says exactly "I don\'t know." without a relevant memory, or without memories', () => {
  for (const out of [ask('What is my favourite colour?'), ask('What is the name of my dog?', 'v1', []), ask('???')]) {
    assert.is(out.answer, IDK);
    assert.equal(out.usedMemoryIds, []);
  }
});

test('token accounting: prompt = system prompt + context + question; completion = answer', () => {
  const q = 'What is the name of my dog?';
  const out = ask(q);
  assert.is(out.promptTokens, countTokens(systemPrompt('v1').text) + countTokens(contextBlock(memories)) + countTokens(q));
  assert.is(out.completionTokens, countTokens(out.answer));
  assert.is(ask(q, 'v1', []).promptTokens, countTokens(systemPrompt('v1').text) + countTokens(q));
});

test('the prompt version sets strictness: v1 answers on a one-in-three term match, v2 does not', () => {
  const mems = [{ id: 'car', text: 'I bought a car last week.' }];
  assert.is(ask('What colour is my new car?', 'v1', mems).answer, 'I bought a car last week.');
  assert.is(ask('What colour is my new car?', 'v2', mems).answer, IDK);
  // v1 may join two sentences, v2 keeps one
  const two = [{ id: 'a', text: 'My sister Ana lives in Porto.' }, { id: 'b', text: 'My sister Ana is a teacher.' }];
  assert.equal(ask('Tell me about my sister Ana', 'v1', two).usedMemoryIds, ['a', 'b']);
  assert.equal(ask('Tell me about my sister Ana', 'v2', two).usedMemoryIds, ['a']);
});

test('unknown prompt version is a CONFIG error naming the allowed ones', () => {
  assert.equal(SYSTEM_PROMPT_VERSIONS, ['v1', 'v2']);
  try {
    ask('Where do I live?', 'v9');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'CONFIG');
    assert.match((err as Error).message, /"v9".*v1, v2/);
  }
});

test.run();
