/** The self-reference and mental-state lexicons of r_text (docs/QMPT.md §4), English and Russian. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { buildLexicons, COGNITIVE_WORDS, countLexiconTokens, Lexicon, SELF_WORDS } from '../../../qmpt/metrics/lexicon.ts';

const lex = buildLexicons();

test('English: first person and reflexive, mental-state forms; contractions are one token', () => {
  assert.equal(countLexiconTokens('I think I noticed it myself.', lex), { tokens: 6, self: 3, cognitive: 2 });
  assert.equal(countLexiconTokens("I'm realizing my feelings; you know?", lex), { tokens: 6, self: 2, cognitive: 3 });
  assert.equal(countLexiconTokens('The wonderful weather was considerable.', lex), { tokens: 5, self: 0, cognitive: 0 });
  assert.equal(countLexiconTokens('', lex), { tokens: 0, self: 0, cognitive: 0 });
});

test('Russian: pronoun cases listed, verb stems match their inflections, ё reads as е', () => {
  // я(self) думаю(cog) что понимаю(cog) себя(self)
  assert.equal(countLexiconTokens('Я думаю, что понимаю себя.', lex), { tokens: 5, self: 2, cognitive: 2 });
  // мне(self) кажется(cog) я(self) заметила(cog) свою(self) ошибку
  assert.equal(countLexiconTokens('Мне кажется, я заметила свою ошибку', lex), { tokens: 6, self: 3, cognitive: 2 });
  for (const w of ['думала', 'подумаешь', 'размышляю', 'осознаёт', 'чувствую', 'поймёшь', 'помню', 'вспомнила', 'сомневаюсь', 'уверена']) {
    assert.ok(lex.cognitive.has(w), w);
  }
  for (const w of ['знак', 'знаменитый', 'представитель', 'дом', 'мама']) assert.not.ok(lex.cognitive.has(w), w);
  for (const w of ['меня', 'мной', 'моё', 'собою']) assert.ok(lex.self.has(w), w);
});

test('a token in both lists counts once, as self; config words and stems extend the lists', () => {
  const extended = buildLexicons({ self: ['myself'], cognitive: ['myself', 'ponder*', 'Ёжусь'] });
  assert.equal(countLexiconTokens('myself pondering ежусь', extended), { tokens: 3, self: 1, cognitive: 2 });
  assert.ok(SELF_WORDS.every((w) => w === w.toLowerCase()) && COGNITIVE_WORDS.every((w) => w === w.toLowerCase()));
});

test('a bad entry is named with its list and index', () => {
  const e = (() => {
    try {
      buildLexicons({ cognitive: ['ok', 'two words'] }, 'metrics.reflexivity.lexicon');
    } catch (err) {
      return err as MaasflowError;
    }
    return null;
  })();
  assert.instance(e, MaasflowError);
  assert.is(e!.message, 'Lexicon: metrics.reflexivity.lexicon.cognitive[1] = "two words" must be one word (letters, digits, apostrophes), optionally ending in * for a stem');
  assert.is(e!.location?.path, 'metrics.reflexivity.lexicon.cognitive[1]');
  assert.throws(() => new Lexicon(['*']), /lexicon\[0\] = "\*"/);
  assert.throws(() => buildLexicons({ self: 'me' as unknown as string[] }), /lexicon\.self must be an array of words/);
});

test.run();
