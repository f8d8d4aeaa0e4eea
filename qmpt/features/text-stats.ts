/**
 * The text statistics block of docs/QMPT.md §2: eleven surface measures of a
 * text, in the order of TEXT_STAT_COLUMNS. Characters are Unicode code
 * points; words are the tokens of models/builtin/keywords.ts (runs of
 * letters and digits of any script, apostrophes inside), so Russian counts
 * as English does. A ratio with nothing to divide by (no word, no letter, no
 * sentence, an empty text) is 0.
 */
import { tokenize } from '../../models/builtin/keywords.ts';

export const TEXT_STAT_COLUMNS = [
  'log_chars',
  'log_words',
  'mean_word_length',
  'type_token_ratio',
  'punctuation_per_char',
  'uppercase_per_letter',
  'digits_per_char',
  'sentences',
  'words_per_sentence',
  'questions_per_sentence',
  'first_person_per_word',
] as const;

/**
 * First-person pronouns (singular and plural, every case), English and
 * Russian, lowercase; English contractions as `tokenize` keeps them.
 */
export const FIRST_PERSON_PRONOUNS: ReadonlySet<string> = new Set(
  `i me my mine myself we us our ours ourselves i'm i've i'd i'll we're we've we'd we'll
  я меня мне мной мною мой моя моё мое мои моего моей моему моим моих моими мою
  мы нас нам нами наш наша наше наши нашего нашей нашему нашим наших нашими нашу`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

const PUNCTUATION = /\p{P}/gu;
const UPPERCASE = /\p{Lu}/gu;
const LETTER = /\p{L}/gu;
const DIGIT = /\p{Nd}/gu;
const QUESTION_MARK = /[?？]/gu;
/** A run of terminators ends a sentence when whitespace or the end follows (so "3.5" and "e.g.x" do not); CJK ones always. */
const SENTENCE_END = /[.!?…]+(?=\s|$)|[。！？]+/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

function count(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n;
}

/** Sentences: the pieces between sentence ends that hold at least one letter or digit. */
export function countSentences(text: string): number {
  let n = 0;
  for (const piece of text.split(SENTENCE_END)) if (WORD_CHAR.test(piece)) n++;
  return n;
}

/** The statistics of `text` into out[offset .. offset + 11). */
export function textStatistics(text: string, out: Float64Array = new Float64Array(TEXT_STAT_COLUMNS.length), offset = 0): Float64Array {
  const chars = codePoints(text);
  const words = tokenize(text);
  const nWords = words.length;
  let wordChars = 0;
  let firstPerson = 0;
  for (const w of words) {
    wordChars += codePoints(w);
    if (FIRST_PERSON_PRONOUNS.has(w)) firstPerson++;
  }
  const letters = count(text, LETTER);
  const sentences = countSentences(text);
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

  out[offset] = Math.log1p(chars);
  out[offset + 1] = Math.log1p(nWords);
  out[offset + 2] = ratio(wordChars, nWords);
  out[offset + 3] = ratio(new Set(words).size, nWords);
  out[offset + 4] = ratio(count(text, PUNCTUATION), chars);
  out[offset + 5] = ratio(count(text, UPPERCASE), letters);
  out[offset + 6] = ratio(count(text, DIGIT), chars);
  out[offset + 7] = sentences;
  out[offset + 8] = ratio(nWords, sentences);
  out[offset + 9] = ratio(count(text, QUESTION_MARK), sentences);
  out[offset + 10] = ratio(firstPerson, nWords);
  return out;
}
