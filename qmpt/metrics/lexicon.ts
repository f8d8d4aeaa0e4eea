/**
 * The self-reference and mental-state lexicons of r_text (docs/QMPT.md §4),
 * English and Russian, after the LIWC2015 "i" and "cognitive processes"
 * categories (Pennebaker et al. 2015) and in LIWC's dictionary notation: an
 * entry is a lowercase word, or a stem ending in `*` that matches every word
 * starting with it. Russian inflects its verbs into dozens of forms (думаю,
 * думал, думаешь, думать...), so its mental-state verbs are stems; closed
 * classes (pronouns) and stems that would catch unrelated words (знак for
 * зна*) are listed form by form. Words are matched after the tokenizer of
 * models/builtin/keywords.ts (lowercase, Unicode letters, apostrophes kept:
 * "i'm" is one token) with ё read as е.
 */
import { tokenize } from '../../models/builtin/keywords.ts';
import { configError } from './checks.ts';

/** First-person singular and reflexive words. */
export const SELF_WORDS: readonly string[] = [
  // English: LIWC "i"
  'i', 'me', 'my', 'mine', 'myself', "i'm", "i've", "i'd", "i'll", 'im', 'ive',
  // Russian: я and its cases, мой, the reflexive себя and the reflexive possessive свой
  'я', 'меня', 'мне', 'мной', 'мною',
  'мой', 'моя', 'мое', 'мои', 'моего', 'моей', 'моему', 'моим', 'моих', 'моими', 'мою', 'моем',
  'себя', 'себе', 'собой', 'собою',
  'свой', 'своя', 'свое', 'свои', 'своего', 'своей', 'своему', 'своим', 'своих', 'своими', 'свою', 'своем',
];

/** Mental-state (cognitive and feeling) words. */
export const COGNITIVE_WORDS: readonly string[] = [
  // English
  'think*', 'thought*', 'feel*', 'felt', 'realis*', 'realiz*', 'notic*', 'know', 'knows', 'knew', 'knowing', 'known', 'knowledge',
  'understand*', 'understood', 'believ*', 'wonder', 'wonders', 'wondered', 'wondering', 'guess*', 'suppos*',
  'consider', 'considers', 'considered', 'considering', 'remember*', 'recall*', 'forget*', 'forgot*', 'aware*', 'reflect*',
  'imagin*', 'doubt*', 'perceiv*', 'recogni*', 'conscious*', 'decid*', 'learn*', 'mind', 'minds',
  // Russian
  'дума*', 'подума*', 'продума*', 'обдумыва*', 'размышл*', 'мысл*', 'понима*', 'понял', 'поняла', 'поняли', 'понять', 'пойму', 'поймешь',
  'поймет', 'понятн*', 'осозна*', 'сознани*', 'сознава*', 'осмысл*', 'замеча*', 'заметил*', 'заметить', 'замечу', 'чувств*', 'почувствова*',
  'ощуща*', 'ощути*', 'ощущени*', 'знаю', 'знаешь', 'знает', 'знаем', 'знаете', 'знают', 'знал', 'знала', 'знали', 'знать', 'знание', 'знания',
  'помню', 'помнишь', 'помнит', 'помним', 'помните', 'помнят', 'помнил*', 'помнить', 'вспомина*', 'вспомн*', 'забыва*', 'забыл*', 'забыть',
  'считаю', 'полага*', 'верю', 'верить', 'верил*', 'сомнева*', 'сомнени*', 'уверен*', 'кажется', 'казалось', 'представляю', 'представить',
  'представил*', 'воображ*', 'рефлекси*', 'рефлексир*', 'реша*', 'решил*',
];

/** A word token: letters and digits, optionally joined by apostrophes (as tokenize yields); an entry may end in `*`. */
const ENTRY = /^[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*\*?$/u;

function normalise(word: string): string {
  return word.toLowerCase().replace(/ё/g, 'е').replace(/[\u2019\u02bc]/g, "'");
}

/** A compiled word list: exact words in a set, stems in a set probed at each stem length. */
export class Lexicon {
  private readonly words = new Set<string>();
  private readonly stems = new Set<string>();
  private stemLengths: number[] = [];

  /** `what` names the list in errors (e.g. "lexicon.self"). */
  constructor(entries: Iterable<string> = [], what = 'lexicon') {
    this.add(entries, what);
  }

  /** Adds entries; a bad one is an error naming `what[index]`. */
  add(entries: Iterable<string>, what: string): this {
    let i = 0;
    for (const raw of entries) {
      const entry = typeof raw === 'string' ? normalise(raw) : '';
      if (!ENTRY.test(entry)) throw configError('Lexicon', `${what}[${i}]`, `= ${JSON.stringify(raw)} must be one word (letters, digits, apostrophes), optionally ending in * for a stem`);
      if (entry.endsWith('*')) this.stems.add(entry.slice(0, -1));
      else this.words.add(entry);
      i++;
    }
    this.stemLengths = [...new Set([...this.stems].map((s) => s.length))].sort((a, b) => a - b);
    return this;
  }

  /** Whether a token (as tokenize yields it) is in the list. */
  has(token: string): boolean {
    const t = token.includes('ё') ? token.replace(/ё/g, 'е') : token;
    if (this.words.has(t)) return true;
    for (const n of this.stemLengths) {
      if (n > t.length) break;
      if (this.stems.has(t.slice(0, n))) return true;
    }
    return false;
  }
}

export interface Lexicons {
  self: Lexicon;
  cognitive: Lexicon;
}

/** The built-in lexicons plus a config's extra words (ReflexivityConfig.lexicon, at config path `where`). */
export function buildLexicons(extra: { self?: readonly string[]; cognitive?: readonly string[] } = {}, where = 'lexicon'): Lexicons {
  if (extra === null || typeof extra !== 'object') throw configError('buildLexicons', where, 'must be an object { self?, cognitive? }');
  for (const key of ['self', 'cognitive'] as const) {
    const list = extra[key];
    if (list !== undefined && !Array.isArray(list)) throw configError('buildLexicons', `${where}.${key}`, 'must be an array of words');
  }
  return {
    self: new Lexicon(SELF_WORDS, 'SELF_WORDS').add(extra.self ?? [], `${where}.self`),
    cognitive: new Lexicon(COGNITIVE_WORDS, 'COGNITIVE_WORDS').add(extra.cognitive ?? [], `${where}.cognitive`),
  };
}

/** Token counts of a text: all tokens, self-reference tokens, mental-state tokens (a token in both lists counts once, as self). */
export interface LexiconCounts {
  tokens: number;
  self: number;
  cognitive: number;
}

/** Adds the counts of `text` to `into` (default zeros) and returns it. */
export function countLexiconTokens(text: string, lexicons: Lexicons, into: LexiconCounts = { tokens: 0, self: 0, cognitive: 0 }): LexiconCounts {
  for (const token of tokenize(text)) {
    into.tokens++;
    if (lexicons.self.has(token)) into.self++;
    else if (lexicons.cognitive.has(token)) into.cognitive++;
  }
  return into;
}
