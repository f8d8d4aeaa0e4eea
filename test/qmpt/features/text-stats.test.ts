/** The statistics block on texts counted by hand (English and Russian) and on edge cases. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countSentences, TEXT_STAT_COLUMNS, textStatistics } from '../../../qmpt/features/text-stats.ts';

function stats(text: string): Record<string, number> {
  const v = textStatistics(text);
  return Object.fromEntries(TEXT_STAT_COLUMNS.map((c, i) => [c, v[i]!]));
}

function expectStats(text: string, expected: Record<string, number>): void {
  const got = stats(text);
  assert.equal(Object.keys(got), Object.keys(expected), 'columns in docs order');
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(got[k]! - v) < 1e-14, `${JSON.stringify(text)} ${k}: ${got[k]} vs ${v}`);
}

test('English: "Hello, World! I think I am here."', () => {
  // 32 characters; words hello world i think i am here (7, 6 distinct, 23 letters);
  // punctuation , ! . ; uppercase H W I I; 2 sentences; "i" twice
  expectStats('Hello, World! I think I am here.', {
    log_chars: Math.log(33),
    log_words: Math.log(8),
    mean_word_length: 23 / 7,
    type_token_ratio: 6 / 7,
    punctuation_per_char: 3 / 32,
    uppercase_per_letter: 4 / 23,
    digits_per_char: 0,
    sentences: 2,
    words_per_sentence: 3.5,
    questions_per_sentence: 0,
    first_person_per_word: 2 / 7,
  });
});

test('Russian: "Я думаю, что мы правы. Ты согласен?"', () => {
  // 35 characters; я думаю что мы правы ты согласен (7 words, 26 letters); , . ? ; Я Т uppercase;
  // 2 sentences, one question mark; я and мы first person
  expectStats('Я думаю, что мы правы. Ты согласен?', {
    log_chars: Math.log(36),
    log_words: Math.log(8),
    mean_word_length: 26 / 7,
    type_token_ratio: 1,
    punctuation_per_char: 3 / 35,
    uppercase_per_letter: 2 / 26,
    digits_per_char: 0,
    sentences: 2,
    words_per_sentence: 3.5,
    questions_per_sentence: 0.5,
    first_person_per_word: 2 / 7,
  });
});

test('digits, decimals, contractions and repeated question marks: "I\'m 25... We paid 3.5 EUR?? Мне 30"', () => {
  // 34 characters; words i'm 25 we paid 3 5 eur мне 30 (9 distinct words: "3.5" splits into 3 and 5; 3+2+2+4+1+1+3+3+2 = 21 word characters);
  // punctuation ' . . . . ? ? (7); uppercase I W E U R М (6) of 14 letters (2+2+4+3+3);
  // digits 2 5 3 5 3 0 (6); sentences "I'm 25" "We paid 3.5 EUR" "Мне 30" (3); 2 question marks;
  // first person i'm, we, мне (3)
  const text = "I'm 25... We paid 3.5 EUR?? Мне 30";
  assert.is([...text].length, 34);
  expectStats(text, {
    log_chars: Math.log(35),
    log_words: Math.log(10),
    mean_word_length: 21 / 9,
    type_token_ratio: 1,
    punctuation_per_char: 7 / 34,
    uppercase_per_letter: 6 / 14,
    digits_per_char: 6 / 34,
    sentences: 3,
    words_per_sentence: 3,
    questions_per_sentence: 2 / 3,
    first_person_per_word: 3 / 9,
  });
});

test('empty and word-less texts give 0 for every ratio; an emoji is one character', () => {
  assert.equal(Array.from(textStatistics('')), new Array(11).fill(0));
  const dots = stats('?!...');
  assert.is(dots.sentences, 0);
  assert.is(dots.words_per_sentence, 0);
  assert.is(dots.questions_per_sentence, 0);
  assert.is(dots.punctuation_per_char, 1);
  assert.is(stats('ok 👍').log_chars, Math.log(5));
});

test('sentences: a terminator counts only before whitespace or the end; runs count once; no terminator is one sentence', () => {
  assert.is(countSentences('Pi is 3.14. Really?! Yes… ok'), 4);
  assert.is(countSentences('no terminator at all'), 1);
  assert.is(countSentences('see e.g.this one'), 1);
  assert.is(countSentences('Один. Два! Три?'), 3);
  assert.is(countSentences('中文。好！'), 2);
});

test('writes at an offset into a caller buffer', () => {
  const out = new Float64Array(13).fill(-1);
  textStatistics('Hi.', out, 1);
  assert.is(out[0], -1);
  assert.is(out[12], -1);
  assert.is(out[1], Math.log(4));
});

test.run();
