import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../../engine/errors.ts';
import { loadPersonas, loadScenarios } from '../../../streams/emulator/config.ts';
import { runEmulator } from '../../../streams/emulator/emulator.ts';
import { fakeMaas } from './fake-maas.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-config-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = path.join(dir, `f${n++}.json`);
  fs.writeFileSync(file, text);
  return file;
}

/** 1-based line of the first occurrence of `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`"${needle}" not in text`);
  return text.slice(0, at).split('\n').length;
}

function errorsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ValidationErrors) return err.errors.map((e) => e.format());
    throw err;
  }
  throw new Error('expected ValidationErrors');
}

/** Asserts one error reads `file:line:col path: message`. */
function expectError(errors: string[], file: string, line: number, pointer: string, message: string): void {
  const hit = errors.find((e) => e.includes(` ${pointer}: `) && e.includes(message));
  assert.ok(hit, `no error at ${pointer} with "${message}" in:\n${errors.join('\n')}`);
  assert.ok(hit!.startsWith(`${file}:${line}:`), `expected line ${line}: ${hit}`);
}

const PERSONA = {
  id: 'p1',
  name: 'Pat',
  facts: [
    { key: 'pet.dog_name', statement: 'My dog is called {value}.', question: "What is my dog's name?", values: ['Rex', 'Bella'] },
    { key: 'home.city', statement: 'I live in {value}.', question: 'Where do I live?', values: ['Oslo'] },
  ],
};
const FOLLOW_UPS = {
  correct: ['Thanks.'],
  related: ['And {question}'],
  unknown: ['I told you earlier: {statement}'],
  wrong: ["That's not right. {statement}"],
  reask: ['Again: {question}'],
  failed: ['Retry: {message}'],
};
const SCENARIO = {
  id: 's1',
  goal: 'plan a trip',
  topic: 'travel',
  turns: { min: 4, max: 6 },
  openings: ['I want to {goal}.'],
  fillers: ['What should I pack?'],
  plants: { categories: ['pet', 'home'], count: { min: 1, max: 2 } },
  asks: { categories: ['pet', 'home'], count: { min: 1, max: 2 } },
};
const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

test('the shipped files load: at least 12 personas and 8 scenarios', () => {
  const personas = loadPersonas();
  const scenarios = loadScenarios();
  assert.ok(personas.personas.length >= 12, `${personas.personas.length} personas`);
  assert.ok(scenarios.scenarios.length >= 8, `${scenarios.scenarios.length} scenarios`);
  assert.ok(personas.file.endsWith(path.join('config', 'sim_personas.json')));
  // Every scenario can plant something for some persona: otherwise it would never test memory.
  for (const s of scenarios.scenarios) {
    const plantable = personas.personas.some((p) => p.facts.some((f) => s.plants.categories.includes(f.key.split('.')[0]!)));
    assert.ok(plantable || s.plants.count.max === 0, `scenario ${s.id} plants nothing`);
  }
});

test("a user's own valid files load, with defaults filled in", () => {
  const p = loadPersonas(write(json({ personas: [PERSONA] })));
  assert.equal(p.personas[0]!.traits, []);
  assert.is(p.personas[0]!.style.closer_rate, 0);
  const s = loadScenarios(write(json({ follow_ups: FOLLOW_UPS, scenarios: [{ ...SCENARIO, follow_ups: { correct: ['Nice.'] } }] })));
  const sc = s.scenarios[0]!;
  assert.equal(sc.plant_templates, ['{statement}']);
  assert.equal(sc.ask_templates, ['{question}']);
  assert.equal(sc.follow_ups.correct, ['Nice.'], 'a scenario override wins');
  assert.equal(sc.follow_ups.unknown, FOLLOW_UPS.unknown, 'the file-level follow-ups fill the rest');
  assert.is(sc.asks.cross_thread, true);
  assert.ok(s.unknown_markers.includes("i don't know"));
});

test('personas: missing field, wrong type and unknown field give file:line path: message', () => {
  const { question: _q, ...noQuestion } = PERSONA.facts[0]!;
  const text = json({ personas: [{ ...PERSONA, facts: [noQuestion, { ...PERSONA.facts[1]!, values: 'Oslo' }], hobbies: ['x'] }] });
  const file = write(text);
  const errors = errorsOf(() => loadPersonas(file));
  expectError(errors, file, lineOf(text, '"key": "pet.dog_name"') - 1, '/personas/0/facts/0/question', 'missing required field "question"');
  expectError(errors, file, lineOf(text, '"values": "Oslo"'), '/personas/0/facts/1/values', 'wrong type: expected array, got string "Oslo"');
  expectError(errors, file, lineOf(text, '"hobbies"'), '/personas/0/hobbies', 'unknown field "hobbies"');
  assert.ok(errors.every((e) => e.endsWith('[CONFIG]')));
});

test('personas: semantic mistakes are located too (duplicate ids and keys, placeholders, a value the question gives away)', () => {
  const facts = [
    { ...PERSONA.facts[0]!, statement: 'My dog is called Rex.' },
    { ...PERSONA.facts[0]!, question: 'Is {value} my dog?' },
    { key: 'home.city', statement: 'I live in {value}.', question: 'Do I live in Oslo or Bergen?', values: ['Bergen'] },
  ];
  const text = json({ personas: [PERSONA, { ...PERSONA, name: 'Other', facts }] });
  const file = write(text);
  const errors = errorsOf(() => loadPersonas(file));
  const second = text.indexOf('"name": "Other"');
  expectError(errors, file, lineOf(text, '"id": "p1"', second - 40), '/personas/1/id', 'persona id "p1" is already used by /personas/0');
  expectError(errors, file, lineOf(text, '"My dog is called Rex."'), '/personas/1/facts/0/statement', 'the template must contain "{value}"');
  expectError(errors, file, lineOf(text, '"Is {value} my dog?"'), '/personas/1/facts/1/question', 'unknown placeholder "{value}"');
  expectError(errors, file, lineOf(text, '"key": "pet.dog_name"', second + 200), '/personas/1/facts/1/key', 'fact key "pet.dog_name" is already used by /personas/1/facts/0');
  expectError(errors, file, lineOf(text, '"Bergen"', text.indexOf('"values"', text.indexOf('Oslo or Bergen'))), '/personas/1/facts/2/values/0', 'value "Bergen" appears in the question');
});

test('scenarios: schema and semantic errors name the field and its line', () => {
  const bad = {
    ...SCENARIO,
    turns: { min: 6, max: 3 },
    openings: ['I want to {goals}.'],
    asks: { categories: ['pet'], count: { min: 1, max: 2 }, cross_threads: true },
    follow_ups: { reask: ['Do you remember?'] },
  };
  const { goal: _g, ...noGoal } = SCENARIO;
  const text = json({ follow_ups: FOLLOW_UPS, scenarios: [bad, { ...noGoal, id: 's2' }, { ...SCENARIO, id: 's3', turns: { min: 2, max: 5 }, plants: { categories: ['pet'], count: { min: 2, max: 2 } } }] });
  const file = write(text);
  // Structure first: the schema errors are reported together, before any semantic check runs.
  const structural = errorsOf(() => loadScenarios(file));
  expectError(structural, file, lineOf(text, '"cross_threads"'), '/scenarios/0/asks/cross_threads', 'unknown field "cross_threads"');
  expectError(structural, file, lineOf(text, '"id": "s2"') - 1, '/scenarios/1/goal', 'missing required field "goal"');
  assert.is(structural.length, 2, structural.join('\n'));

  const fixed = json({ follow_ups: FOLLOW_UPS, scenarios: [{ ...bad, asks: SCENARIO.asks }, { ...SCENARIO, id: 's3', turns: { min: 2, max: 5 }, plants: { categories: ['pet'], count: { min: 2, max: 2 } } }, { ...SCENARIO, id: 's3' }] });
  const file2 = write(fixed);
  const errors = errorsOf(() => loadScenarios(file2));
  expectError(errors, file2, lineOf(fixed, '"min": 6'), '/scenarios/0/turns/min', 'min (6) is greater than max (3)');
  expectError(errors, file2, lineOf(fixed, '"I want to {goals}."'), '/scenarios/0/openings/0', 'unknown placeholder "{goals}"; allowed here: {goal}, {topic}, {name}');
  expectError(errors, file2, lineOf(fixed, '"Do you remember?"'), '/scenarios/0/follow_ups/reask/0', 'the template must contain "{question}"');
  expectError(errors, file2, lineOf(fixed, '"min": 2'), '/scenarios/1/turns/min', 'cannot hold the opening, plants.count.min and asks.count.min (4 turns)');
  expectError(errors, file2, lineOf(fixed, '"id": "s3"', fixed.indexOf('"id": "s3"') + 1), '/scenarios/2/id', 'scenario id "s3" is already used by /scenarios/1');
});

test('a JSON syntax error gives file:line; an unreadable file names the file', () => {
  const text = '{\n  "personas": [\n    { "id" "p1" }\n  ]\n}\n';
  const file = write(text);
  const errors = errorsOf(() => loadPersonas(file));
  assert.is(errors.length, 1);
  assert.ok(errors[0]!.startsWith(`${file}:3:`), errors[0]);
  const missing = path.join(dir, 'nope.json');
  const [err] = errorsOf(() => loadScenarios(missing));
  assert.ok(err!.startsWith(`${missing}: cannot read file`), err);
});

test('runEmulator rejects an invalid personas file before sending anything', async () => {
  const text = json({ personas: [{ ...PERSONA, facts: [{ ...PERSONA.facts[0]!, key: 'dogname' }] }] });
  const file = write(text);
  const fake = fakeMaas({ mode: 'remember' });
  try {
    await runEmulator({ seed: 1, dialogues: 3, chat: fake.chat, personasFile: file });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, ValidationErrors);
    const msg = (err as ValidationErrors).message;
    assert.ok(msg.startsWith(`${file}:${lineOf(text, '"dogname"')}:`), msg);
    assert.ok(msg.includes('/personas/0/facts/0/key: "dogname" does not match'), msg);
  }
  assert.is(fake.calls.length, 0);
});

test.run();
