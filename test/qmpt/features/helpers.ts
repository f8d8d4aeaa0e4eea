/** Observations, a seeded bilingual corpus and a fake embedder for the feature-spec tests. */
import type { EmbedderProvider } from '../../../qmpt/features/embedder-provider.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Matrix, Observation } from '../../../qmpt/types.ts';

export function obs(obs_id: string, payload: unknown, modality = 'text', pattern_id = 'p1', timestamp = 0): Observation {
  return { obs_id, pattern_id, timestamp, modality, payload, tags: [] };
}

export function textObs(texts: readonly string[], patterns = 1): Observation[] {
  return texts.map((t, i) => obs(`o${i}`, t, 'text', `p${i % patterns}`, i));
}

const EN_SUBJECTS = ['I', 'We', 'The team', 'My friend', 'She', 'They'];
const EN_VERBS = ['think about', 'noticed', 'worry about', 'fixed', 'love', 'counted'];
const EN_OBJECTS = ['the river', 'our plans', '42 errors', 'my own mistakes', 'the old house', 'it'];
const RU_SUBJECTS = ['Я', 'Мы', 'Команда', 'Мой друг', 'Она', 'Они'];
const RU_VERBS = ['думаю о', 'заметил', 'переживаю за', 'исправили', 'люблю', 'посчитали'];
const RU_OBJECTS = ['реке', 'наши планы', '42 ошибки', 'мои ошибки', 'старый дом', 'это'];
const EN_ENDINGS = ['.', '!', '?', '...', '. Really?', '. Why? I wonder.'];
const RU_ENDINGS = ['.', '!', '?', '...', '. Правда?', '. Почему? Я не знаю.'];

/** `n` short English and Russian texts from a seeded template: the same seed, the same corpus. */
export function corpus(seed: number, n: number): string[] {
  const rng = new Rng(seed);
  const pick = (xs: readonly string[]): string => xs[rng.int(xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const sentences = 1 + rng.int(3);
    const parts: string[] = [];
    for (let s = 0; s < sentences; s++) {
      parts.push(i % 2 === 0 ? `${pick(EN_SUBJECTS)} ${pick(EN_VERBS)} ${pick(EN_OBJECTS)}${pick(EN_ENDINGS)}` : `${pick(RU_SUBJECTS)} ${pick(RU_VERBS)} ${pick(RU_OBJECTS)}${pick(RU_ENDINGS)}`);
    }
    return parts.join(' ');
  });
}

/** A deterministic fake embedder of `dim` dimensions; `calls` counts embed calls per model id. */
export function fakeEmbedders(dim = 6): { provider: EmbedderProvider; calls: Map<string, number>; vector: (text: string) => Float32Array } {
  const calls = new Map<string, number>();
  const vector = (text: string): Float32Array => {
    const v = new Float32Array(dim);
    for (let i = 0; i < text.length; i++) v[(text.charCodeAt(i) * 7 + i) % dim] += 1 + (i % 3);
    return v;
  };
  const provider: EmbedderProvider = async (id) => ({
    dim,
    embed: async (texts) => {
      calls.set(id, (calls.get(id) ?? 0) + 1);
      return texts.map(vector);
    },
  });
  return { provider, calls, vector };
}

/** Column means and population standard deviations. */
export function columnMoments(X: Matrix): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < X.cols; j++) {
    let s = 0;
    for (let i = 0; i < X.rows; i++) s += X.data[i * X.cols + j]!;
    const m = s / X.rows;
    let ss = 0;
    for (let i = 0; i < X.rows; i++) ss += (X.data[i * X.cols + j]! - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(ss / X.rows));
  }
  return { mean, std };
}

/** Runs `fn` and returns the error it threw (failing the test when it does not throw). */
export async function thrown(fn: () => unknown): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}
