import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { validateAgainst } from '../../topologies/ajv-errors.ts';
import { SourceFile } from '../../topologies/source-file.ts';
import { personasSchema, scenariosSchema } from './schema.ts';
import { containsAnswer, placeholders } from './text.ts';

export const DEFAULT_PERSONAS_FILE = fileURLToPath(new URL('../../config/sim_personas.json', import.meta.url));
export const DEFAULT_SCENARIOS_FILE = fileURLToPath(new URL('../../config/sim_scenarios.json', import.meta.url));

export interface Range {
  min: number;
  max: number;
}

/** One fact a persona can state; the value is drawn per persona instance (user) from `values`. */
export interface FactSpec {
  /** `category.name`, e.g. `pet.name`. */
  key: string;
  /** Template with `{value}` (and optionally `{name}`). */
  statement: string;
  /** Template that asks for the value; must not reveal it. */
  question: string;
  values: string[];
}

export interface PersonaStyle {
  tone: 'casual' | 'formal' | 'terse' | 'chatty';
  /** Said before the opening message of a thread ("" = nothing). */
  openers: string[];
  /** Appended to a message with probability `closer_rate`. */
  closers: string[];
  closer_rate: number;
}

export interface PersonaSpec {
  id: string;
  name: string;
  traits: string[];
  style: PersonaStyle;
  facts: FactSpec[];
}

/** Templates chosen from the previous answer (see dialogue.ts). */
export interface FollowUps {
  /** Acknowledgement put before the next message after a correct answer. */
  correct: string[];
  /** A related question asked right after a correct answer; needs `{question}`. */
  related: string[];
  /** Re-plants the fact after "I don't know"; needs `{statement}`. */
  unknown: string[];
  /** Re-plants the fact after a wrong answer; needs `{statement}`. */
  wrong: string[];
  /** Asks the re-planted fact again; needs `{question}`. */
  reask: string[];
  /** Resends the message of a failed run; needs `{message}`. */
  failed: string[];
}

export interface FactSelection {
  categories: string[];
  count: Range;
  /** For asks: whether facts planted in earlier threads of the same user may be asked (default true). */
  cross_thread: boolean;
}

export interface ScenarioSpec {
  id: string;
  goal: string;
  topic: string;
  turns: Range;
  openings: string[];
  fillers: string[];
  plant_templates: string[];
  ask_templates: string[];
  plants: FactSelection;
  asks: FactSelection;
  /** The file's `follow_ups` with this scenario's overrides applied. */
  follow_ups: FollowUps;
}

export interface PersonasConfig {
  file: string;
  personas: PersonaSpec[];
}

export interface ScenariosConfig {
  file: string;
  /** Lower-case phrases that mark an answer as "I don't know". */
  unknown_markers: string[];
  scenarios: ScenarioSpec[];
}

export const DEFAULT_UNKNOWN_MARKERS = [
  "i don't know",
  'i do not know',
  "i don't have",
  'i do not have',
  "i'm not sure",
  'i am not sure',
  "don't remember",
  'do not remember',
  "can't recall",
  'cannot recall',
  'no information',
];

const DEFAULT_STYLE: PersonaStyle = { tone: 'casual', openers: [''], closers: [''], closer_rate: 0 };

/** Reads and validates a personas file; throws ValidationErrors (`file:line path: message`) listing every problem. */
export function loadPersonas(file: string = DEFAULT_PERSONAS_FILE): PersonasConfig {
  return parsePersonas(file, readConfig(file));
}

/** Reads and validates a scenarios file; throws ValidationErrors listing every problem. */
export function loadScenarios(file: string = DEFAULT_SCENARIOS_FILE): ScenariosConfig {
  return parseScenarios(file, readConfig(file));
}

function readConfig(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationErrors([new MaasflowError('CONFIG', `cannot read file: ${(err as Error).message}`, { location: { file } })]);
  }
}

function parseChecked(file: string, text: string, schema: Readonly<Record<string, unknown>>): SourceFile {
  const { source, errors } = SourceFile.parse(file, text, 'CONFIG');
  if (!source) throw new ValidationErrors(errors);
  const structural = validateAgainst(schema, source.data, source, [], 'CONFIG');
  if (structural.length > 0) throw new ValidationErrors(structural);
  return source;
}

// Shapes as written in the files (optional fields not yet defaulted); the schema has vouched for them.
interface RawPersona extends Omit<PersonaSpec, 'traits' | 'style'> {
  traits?: string[];
  style?: Partial<PersonaStyle>;
}
interface RawSelection extends Omit<FactSelection, 'cross_thread'> {
  cross_thread?: boolean;
}
interface RawScenario extends Omit<ScenarioSpec, 'plant_templates' | 'ask_templates' | 'follow_ups' | 'plants' | 'asks'> {
  plant_templates?: string[];
  ask_templates?: string[];
  plants: RawSelection;
  asks: RawSelection;
  follow_ups?: Partial<FollowUps>;
}

export function parsePersonas(file: string, text: string): PersonasConfig {
  const src = parseChecked(file, text, personasSchema);
  const raw = (src.data as { personas: RawPersona[] }).personas;
  const errors: MaasflowError[] = [];
  const ids = new Map<string, number>();
  raw.forEach((p, i) => {
    const prev = ids.get(p.id);
    if (prev !== undefined) errors.push(src.error('CONFIG', ['personas', i, 'id'], `persona id "${p.id}" is already used by /personas/${prev}`));
    else ids.set(p.id, i);
    const keys = new Map<string, number>();
    p.facts.forEach((f, j) => {
      const at = ['personas', i, 'facts', j];
      const prevKey = keys.get(f.key);
      if (prevKey !== undefined) errors.push(src.error('CONFIG', [...at, 'key'], `fact key "${f.key}" is already used by /personas/${i}/facts/${prevKey}`));
      else keys.set(f.key, j);
      errors.push(...checkTemplate(src, [...at, 'statement'], f.statement, ['value', 'name'], 'value'));
      errors.push(...checkTemplate(src, [...at, 'question'], f.question, ['name'], undefined));
      // A value the question already contains would be "answered" by any echo of the question.
      f.values.forEach((v, k) => {
        if (containsAnswer(f.question.replace('{name}', p.name), v)) errors.push(src.error('CONFIG', [...at, 'values', k], `value "${v}" appears in the question, so an echo of the question would count as a correct answer`));
      });
    });
  });
  if (errors.length > 0) throw new ValidationErrors(errors);
  const personas = raw.map((p): PersonaSpec => ({
    id: p.id,
    name: p.name,
    traits: p.traits ?? [],
    style: { ...DEFAULT_STYLE, ...p.style },
    facts: p.facts.map((f) => ({ key: f.key, statement: f.statement, question: f.question, values: [...f.values] })),
  }));
  return { file, personas };
}

/** Placeholders each scenario template may use, and the one it must use (if any). */
const SCENARIO_TEMPLATES: Record<'openings' | 'fillers' | 'plant_templates' | 'ask_templates', [readonly string[], string | undefined]> = {
  openings: [['goal', 'topic', 'name'], undefined],
  fillers: [['goal', 'topic', 'name'], undefined],
  plant_templates: [['statement', 'goal', 'topic', 'name'], 'statement'],
  ask_templates: [['question', 'goal', 'topic', 'name'], 'question'],
};
const FOLLOW_UP_TEMPLATES: Record<keyof FollowUps, [readonly string[], string | undefined]> = {
  correct: [['goal', 'topic', 'name'], undefined],
  related: [['question', 'goal', 'topic', 'name'], 'question'],
  unknown: [['statement', 'goal', 'topic', 'name'], 'statement'],
  wrong: [['statement', 'goal', 'topic', 'name'], 'statement'],
  reask: [['question', 'goal', 'topic', 'name'], 'question'],
  failed: [['message', 'goal', 'topic', 'name'], 'message'],
};

export function parseScenarios(file: string, text: string): ScenariosConfig {
  const src = parseChecked(file, text, scenariosSchema);
  const data = src.data as { unknown_markers?: string[]; follow_ups: FollowUps; scenarios: RawScenario[] };
  const errors: MaasflowError[] = [];
  const checkFollowUps = (f: Partial<FollowUps>, base: (string | number)[]): void => {
    for (const [name, [allowed, required]] of Object.entries(FOLLOW_UP_TEMPLATES)) {
      (f[name as keyof FollowUps] ?? []).forEach((t, k) => errors.push(...checkTemplate(src, [...base, name, k], t, allowed, required)));
    }
  };
  checkFollowUps(data.follow_ups, ['follow_ups']);
  const ids = new Map<string, number>();
  data.scenarios.forEach((s, i) => {
    const at = ['scenarios', i];
    const prev = ids.get(s.id);
    if (prev !== undefined) errors.push(src.error('CONFIG', [...at, 'id'], `scenario id "${s.id}" is already used by /scenarios/${prev}`));
    else ids.set(s.id, i);
    for (const [field, range] of [['turns', s.turns], ['plants/count', s.plants.count], ['asks/count', s.asks.count]] as const) {
      if (range.min > range.max) errors.push(src.error('CONFIG', [...at, ...field.split('/'), 'min'], `min (${range.min}) is greater than max (${range.max})`));
    }
    if (s.turns.min < 1) errors.push(src.error('CONFIG', [...at, 'turns', 'min'], 'a dialogue needs at least 1 turn (the opening)'));
    const needed = 1 + s.plants.count.min + s.asks.count.min;
    if (s.turns.min < needed) errors.push(src.error('CONFIG', [...at, 'turns', 'min'], `${s.turns.min} turns cannot hold the opening, plants.count.min and asks.count.min (${needed} turns)`));
    for (const [field, [allowed, required]] of Object.entries(SCENARIO_TEMPLATES)) {
      (s[field as keyof typeof SCENARIO_TEMPLATES] ?? []).forEach((t, k) => errors.push(...checkTemplate(src, [...at, field, k], t, allowed, required)));
    }
    if (s.follow_ups) checkFollowUps(s.follow_ups, [...at, 'follow_ups']);
  });
  if (errors.length > 0) throw new ValidationErrors(errors);
  const selection = (r: RawSelection): FactSelection => ({ categories: [...r.categories], count: { ...r.count }, cross_thread: r.cross_thread ?? true });
  const scenarios = data.scenarios.map((s): ScenarioSpec => ({
    id: s.id,
    goal: s.goal,
    topic: s.topic,
    turns: { ...s.turns },
    openings: [...s.openings],
    fillers: [...s.fillers],
    plant_templates: s.plant_templates ?? ['{statement}'],
    ask_templates: s.ask_templates ?? ['{question}'],
    plants: selection(s.plants),
    asks: selection(s.asks),
    follow_ups: { ...data.follow_ups, ...s.follow_ups },
  }));
  return { file, unknown_markers: (data.unknown_markers ?? DEFAULT_UNKNOWN_MARKERS).map((m) => m.toLowerCase()), scenarios };
}

function checkTemplate(src: SourceFile, path: (string | number)[], template: string, allowed: readonly string[], required: string | undefined): MaasflowError[] {
  const errors: MaasflowError[] = [];
  const used = placeholders(template);
  for (const p of used) {
    if (!allowed.includes(p)) errors.push(src.error('CONFIG', path, `unknown placeholder "{${p}}"; allowed here: ${allowed.map((a) => `{${a}}`).join(', ')}`));
  }
  if (required !== undefined && !used.includes(required)) errors.push(src.error('CONFIG', path, `the template must contain "{${required}}"`));
  return errors;
}
