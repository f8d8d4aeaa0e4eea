/**
 * The answer-independent part of a run: which persona instance (user) each
 * thread belongs to, which scenario it follows, which facts it plants and
 * which it asks. Everything here is a pure function of (seed, dialogues,
 * threadsPerUser, config), so a thread may ask about a fact planted in an
 * earlier thread of the same user without waiting to see how that thread went.
 */
import { SplitMix32, hashSeed } from '../nexmark/prng.ts';
import type { PersonaSpec, ScenarioSpec } from './config.ts';
import { render } from './text.ts';

/** Salts that keep the sub-streams of users, thread plans and turns apart. */
const SALT_USER = 0x55534552;
const SALT_THREAD = 0x54485244;
const SALT_TURN = 0x5455524e;

/** One fact of one persona instance, its value drawn and its templates rendered. */
export interface FactInstance {
  key: string;
  category: string;
  value: string;
  statement: string;
  question: string;
}

/** A synthetic user: a persona with its facts' values fixed by the seed. */
export interface PersonaInstance {
  user_id: string;
  index: number;
  persona: PersonaSpec;
  facts: FactInstance[];
}

export type PlannedItem =
  | { kind: 'opening' }
  | { kind: 'filler' }
  | { kind: 'plant'; fact: FactInstance }
  /** `cross_thread`: the fact was planted in an earlier thread of the same user, not in this one. */
  | { kind: 'ask'; fact: FactInstance; cross_thread: boolean };

export interface ThreadPlan {
  index: number;
  thread_id: string;
  user: PersonaInstance;
  /** 0 for the user's first thread, 1 for the second, … */
  ordinal: number;
  scenario: ScenarioSpec;
  items: PlannedItem[];
  /** Facts planted by earlier threads of this user that this thread may ask (empty unless the scenario allows cross-thread asks). */
  known_before: FactInstance[];
  /** Seed of this thread's per-turn decision streams (template choice, follow-ups). */
  turn_seed: number;
}

export interface RunPlan {
  label: string;
  users: PersonaInstance[];
  threads: ThreadPlan[];
  /** Thread indexes of each user, in the order they run (a user talks in one thread at a time). */
  chains: number[][];
}

export interface PlanOptions {
  seed: number;
  dialogues: number;
  threadsPerUser: number;
  personas: readonly PersonaSpec[];
  scenarios: readonly ScenarioSpec[];
  /** Put into every id so that two runs against one MaaS do not share users or threads. */
  label: string;
}

export function categoryOf(key: string): string {
  return key.slice(0, key.indexOf('.'));
}

/** Plans every thread of a run. Thread i belongs to user i mod users, so a user's threads are spread over the run. */
export function planRun(o: PlanOptions): RunPlan {
  const userCount = Math.max(1, Math.ceil(o.dialogues / o.threadsPerUser));
  const users: PersonaInstance[] = [];
  for (let u = 0; u < Math.min(userCount, o.dialogues); u++) users.push(personaInstance(o, u));
  const planted = users.map(() => new Map<string, FactInstance>());
  const chains: number[][] = users.map(() => []);
  const threads: ThreadPlan[] = [];
  // Index order visits each user's threads in their own order, so `planted` holds what earlier threads planted.
  for (let i = 0; i < o.dialogues; i++) {
    const u = i % users.length;
    const plan = planThread(o, i, users[u]!, chains[u]!.length, planted[u]!);
    for (const item of plan.items) if (item.kind === 'plant') planted[u]!.set(item.fact.key, item.fact);
    chains[u]!.push(i);
    threads.push(plan);
  }
  return { label: o.label, users, threads, chains };
}

function personaInstance(o: PlanOptions, u: number): PersonaInstance {
  const rng = new SplitMix32(hashSeed(hashSeed(o.seed, SALT_USER), u));
  const persona = o.personas[rng.nextInt(o.personas.length)]!;
  const facts = persona.facts.map((f): FactInstance => {
    const value = f.values[rng.nextInt(f.values.length)]!;
    return {
      key: f.key,
      category: categoryOf(f.key),
      value,
      statement: render(f.statement, { value, name: persona.name }),
      question: render(f.question, { name: persona.name }),
    };
  });
  return { user_id: `emu-${o.label}-u${pad(u)}-${persona.id}`, index: u, persona, facts };
}

function planThread(o: PlanOptions, i: number, user: PersonaInstance, ordinal: number, plantedBefore: ReadonlyMap<string, FactInstance>): ThreadPlan {
  const rng = new SplitMix32(hashSeed(hashSeed(o.seed, SALT_THREAD), i));
  const scenario = o.scenarios[rng.nextInt(o.scenarios.length)]!;
  const turns = between(rng, scenario.turns.min, scenario.turns.max);

  // Plant what this user has not said yet first; restating an old fact is the fallback (real users repeat themselves).
  const inPlantCategories = user.facts.filter((f) => scenario.plants.categories.includes(f.category));
  const candidates = [...shuffle(rng, inPlantCategories.filter((f) => !plantedBefore.has(f.key))), ...shuffle(rng, inPlantCategories.filter((f) => plantedBefore.has(f.key)))];
  const plants = candidates.slice(0, Math.min(between(rng, scenario.plants.count.min, scenario.plants.count.max), turns - 1));

  const knownBefore = scenario.asks.cross_thread ? [...plantedBefore.values()].filter((f) => !plants.some((p) => p.key === f.key)) : [];
  const askable = [...plants, ...knownBefore].filter((f) => scenario.asks.categories.includes(f.category));
  const asks = shuffle(rng, askable).slice(0, Math.min(between(rng, scenario.asks.count.min, scenario.asks.count.max), turns - 1 - plants.length));

  // Plants (with half the fillers) come before asks (with the rest): a fact is always stated before it is asked.
  const fillers = turns - 1 - plants.length - asks.length;
  const headFillers = Math.floor(fillers / 2);
  const head: PlannedItem[] = [...plants.map((fact): PlannedItem => ({ kind: 'plant', fact })), ...repeat(headFillers)];
  const tail: PlannedItem[] = [...asks.map((fact): PlannedItem => ({ kind: 'ask', fact, cross_thread: !plants.includes(fact) })), ...repeat(fillers - headFillers)];
  return {
    index: i,
    thread_id: `emu-${o.label}-t${pad(i)}`,
    user,
    ordinal,
    scenario,
    items: [{ kind: 'opening' }, ...shuffle(rng, head), ...shuffle(rng, tail)],
    known_before: knownBefore,
    turn_seed: hashSeed(hashSeed(o.seed, SALT_TURN), i),
  };
}

function repeat(n: number): PlannedItem[] {
  return Array.from({ length: n }, (): PlannedItem => ({ kind: 'filler' }));
}

/** Uniform integer in [min, max]. */
export function between(rng: SplitMix32, min: number, max: number): number {
  return min + rng.nextInt(max - min + 1);
}

export function pick<T>(rng: SplitMix32, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]!;
}

/** Fisher–Yates on a copy. */
function shuffle<T>(rng: SplitMix32, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pad(n: number): string {
  return String(n).padStart(4, '0');
}
