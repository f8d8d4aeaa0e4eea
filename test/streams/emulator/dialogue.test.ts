import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePersonas, parseScenarios, loadPersonas, loadScenarios } from '../../../streams/emulator/config.ts';
import { Dialogue, type Turn } from '../../../streams/emulator/dialogue.ts';
import { planRun, type ThreadPlan } from '../../../streams/emulator/plan.ts';
import { containsAnswer, isUnknownAnswer } from '../../../streams/emulator/text.ts';

const personas = parsePersonas(
  'inline-personas.json',
  JSON.stringify({
    personas: [
      {
        id: 'p1',
        name: 'Pat',
        style: { openers: ['Hi!'], closers: [''], closer_rate: 0 },
        facts: [
          { key: 'pet.dog_name', statement: 'My dog is called {value}.', question: "What is my dog's name?", values: ['Rex'] },
          { key: 'pet.cat_name', statement: 'My cat is called {value}.', question: 'What is my cat called?', values: ['Mochi'] },
          { key: 'home.city', statement: 'I live in {value}.', question: 'Which city do I live in?', values: ['Oslo'] },
        ],
      },
    ],
  }),
);
const scenarios = parseScenarios(
  'inline-scenarios.json',
  JSON.stringify({
    follow_ups: {
      correct: ['ACK.'],
      related: ['RELATED {question}'],
      unknown: ['UNKNOWN {statement}'],
      wrong: ['WRONG {statement}'],
      reask: ['REASK {question}'],
      failed: ['RETRY {message}'],
    },
    scenarios: [
      {
        id: 's1',
        goal: 'plan a trip',
        topic: 'travel',
        turns: { min: 6, max: 6 },
        openings: ['I want to {goal}.'],
        fillers: ['F1?', 'F2?', 'F3?'],
        plants: { categories: ['pet', 'home'], count: { min: 2, max: 2 } },
        asks: { categories: ['pet', 'home'], count: { min: 2, max: 2 } },
      },
    ],
  }),
);
const markers = scenarios.unknown_markers;

function plan(seed: number, dialogues = 1): ThreadPlan[] {
  return planRun({ seed, dialogues, threadsPerUser: 3, personas: personas.personas, scenarios: scenarios.scenarios, label: 'u' }).threads;
}

/** Drives a dialogue with an answer function; returns its turns. */
function drive(p: ThreadPlan, answer: (t: Turn) => string | null): Turn[] {
  const d = new Dialogue(p, { unknownMarkers: markers });
  const turns: Turn[] = [];
  for (let t = d.next(); t; t = d.next()) {
    turns.push(t);
    const a = answer(t);
    d.observe(a === null ? { status: 'FAILED', answer: null } : { status: 'COMPLETED', answer: a });
  }
  return turns;
}
const correctly = (t: Turn): string => (t.request.eval?.golden_answer ? `It is ${t.request.eval.golden_answer}.` : 'OK.');
const dontKnow = (t: Turn): string => (t.request.eval?.golden_answer ? "I don't know." : 'OK.');
const wrongly = (t: Turn): string => (t.request.eval?.golden_answer ? 'It is Zanzibar.' : 'OK.');

test('text: whole-word, case- and punctuation-insensitive matching; unknown markers', () => {
  assert.ok(containsAnswer('You told me: my dog is REX!', 'Rex'));
  assert.not.ok(containsAnswer('Rexford is a town.', 'Rex'));
  assert.ok(containsAnswer('Your blood type is A-positive.', 'A positive'));
  assert.not.ok(containsAnswer('anything', ''));
  assert.ok(isUnknownAnswer('I don\u2019t know, sorry.', markers));
  assert.not.ok(isUnknownAnswer('It is Rex.', markers));
});

test('plan: facts are planted before they are asked; the opening comes first', () => {
  for (let seed = 0; seed < 50; seed++) {
    const [p] = plan(seed);
    assert.is(p!.items[0]!.kind, 'opening');
    assert.is(p!.items.length, 6);
    p!.items.forEach((item, i) => {
      if (item.kind !== 'ask') return;
      const plantedAt = p!.items.findIndex((x) => x.kind === 'plant' && x.fact.key === item.fact.key);
      assert.ok(plantedAt >= 0 && plantedAt < i, `seed ${seed}: ${item.fact.key} asked at ${i}, planted at ${plantedAt}`);
    });
  }
});

test("plan: a user's later thread asks facts planted in an earlier one (cross-thread), never ones not yet planted", () => {
  const threads = plan(9, 6); // 2 users × 3 threads
  let cross = 0;
  const planted = new Map<string, Set<string>>();
  for (const t of threads) {
    const mine = planted.get(t.user.user_id) ?? new Set<string>();
    planted.set(t.user.user_id, mine);
    for (const item of t.items) {
      if (item.kind === 'plant') mine.add(item.fact.key);
      if (item.kind === 'ask') {
        assert.ok(mine.has(item.fact.key), `${t.thread_id} asks ${item.fact.key} before it was planted`);
        if (item.cross_thread) cross++;
      }
    }
  }
  assert.ok(cross > 0, 'some question reaches back to an earlier thread');
  assert.is(new Set(threads.map((t) => t.user.user_id)).size, 2);
});

test('dialogue: questions carry golden facts and answers; plants carry their key; every request is an emulator request', () => {
  const turns = drive(plan(3)[0]!, correctly);
  const values = new Map(plan(3)[0]!.user.facts.map((f) => [f.key, f.value]));
  const asks = turns.filter((t) => t.request.eval?.golden_facts);
  assert.ok(asks.length >= 2);
  for (const t of asks) {
    const key = t.request.eval!.golden_facts![0]!;
    assert.is(t.request.eval!.golden_answer, values.get(key));
    assert.not.ok(containsAnswer(t.request.message, values.get(key)!), 'the question does not give the answer away');
  }
  for (const t of turns.filter((x) => x.kind === 'plant')) assert.ok(t.request.message.includes(values.get(t.request.eval!.plants![0]!)!));
  for (const t of turns) {
    assert.is(t.request.client_type, 'emulator');
    assert.is(t.request.thread_id, 'emu-u-t0000');
    assert.is(t.request.user_id, 'emu-u-u0000-p1');
  }
  assert.is(new Set(turns.map((t) => t.request.message_id)).size, turns.length);
  assert.ok(turns[0]!.request.message.startsWith('Hi! I want to plan a trip.'));
});

test('dialogue: follow-ups depend on the answer (correct → acknowledge or related; unknown/wrong → re-plant, then re-ask)', () => {
  const p = plan(3)[0]!;
  const good = drive(p, correctly);
  const unknown = drive(p, dontKnow);
  const wrong = drive(p, wrongly);
  const firstAsk = good.findIndex((t) => t.kind === 'ask');
  // Identical up to and including the first question: only the answer differs.
  assert.equal(unknown.slice(0, firstAsk + 1).map((t) => t.request), good.slice(0, firstAsk + 1).map((t) => t.request));
  const after = good[firstAsk + 1]!;
  assert.ok(after.kind === 'related' || after.request.message.startsWith('ACK.'), after.request.message);
  assert.not.ok(good.some((t) => t.kind === 'replant' || t.kind === 'reask'));

  const key = good[firstAsk]!.request.eval!.golden_facts![0]!;
  const fact = p.user.facts.find((f) => f.key === key)!;
  const replant = unknown[firstAsk + 1]!;
  assert.is(replant.kind, 'replant');
  assert.is(replant.request.message, `UNKNOWN ${fact.statement}`);
  assert.equal(replant.request.eval, { plants: [key] });
  assert.is(wrong[firstAsk + 1]!.request.message, `WRONG ${fact.statement}`);
  const reask = unknown.find((t) => t.kind === 'reask' && t.fact?.key === key)!;
  assert.ok(reask.index > replant.index + 1, 'the re-ask comes after one more turn, not straight after the restatement');
  assert.is(reask.request.message, `REASK ${fact.question}`);
  assert.equal(reask.request.eval, { golden_facts: [key], golden_answer: fact.value });
  // Bounded: every asked fact gets one re-plant cycle, not more.
  assert.is(unknown.filter((t) => t.kind === 'reask').length, unknown.filter((t) => t.kind === 'replant').length);
  assert.is(unknown.length, good.filter((t) => t.kind !== 'related').length + 2 * unknown.filter((t) => t.kind === 'reask').length);
});

test('dialogue: a failed run is resent once with the same eval tags; a failed retry is given up', () => {
  const p = plan(5)[0]!;
  const failPlants = drive(p, (t) => (t.kind === 'plant' || t.kind === 'retry' ? null : correctly(t)));
  const plants = failPlants.filter((t) => t.kind === 'plant');
  assert.ok(plants.length > 0);
  for (const pl of plants) {
    const retry = failPlants[pl.index + 1]!;
    assert.is(retry.kind, 'retry');
    assert.is(retry.retry_of, 'plant');
    assert.is(retry.request.message, `RETRY ${pl.request.message}`);
    assert.equal(retry.request.eval, pl.request.eval);
    assert.is.not(failPlants[pl.index + 2]?.kind, 'retry');
  }
  const failOnce = new Set<string>();
  const recovered = drive(p, (t) => {
    if (t.kind === 'ask' && !failOnce.has(t.request.message_id!)) {
      failOnce.add(t.request.message_id!);
      return null;
    }
    return correctly(t);
  });
  const retried = recovered.filter((t) => t.kind === 'retry');
  assert.ok(retried.length >= 2 && retried.every((t) => t.retry_of === 'ask' && t.request.eval?.golden_answer));
});

test('dialogue: next() before observe() is a usage error', () => {
  const d = new Dialogue(plan(1)[0]!, { unknownMarkers: markers });
  d.next();
  assert.throws(() => d.next(), /before the response/);
  d.observe({ status: 'COMPLETED', answer: 'ok' });
  assert.throws(() => d.observe({ status: 'COMPLETED', answer: 'ok' }), /without a pending turn/);
});

test('shipped config: every planned thread of a 200-dialogue run respects plant-before-ask and its turn range', () => {
  const ps = loadPersonas();
  const ss = loadScenarios();
  const threads = planRun({ seed: 77, dialogues: 200, threadsPerUser: 3, personas: ps.personas, scenarios: ss.scenarios, label: 'x' }).threads;
  const seen = new Map<string, Set<string>>();
  for (const t of threads) {
    assert.ok(t.items.length >= t.scenario.turns.min && t.items.length <= t.scenario.turns.max);
    const planted = seen.get(t.user.user_id) ?? new Set<string>();
    seen.set(t.user.user_id, planted);
    for (const item of t.items) {
      if (item.kind === 'plant') planted.add(item.fact.key);
      if (item.kind === 'ask') assert.ok(planted.has(item.fact.key));
    }
  }
  assert.ok(new Set(threads.map((t) => t.scenario.id)).size >= 8, 'the seed spreads threads over the scenarios');
});

test.run();
