/** Built-in keyword extraction, token counting and sentence splitting. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contentTerms, countTokens, extractKeywords, splitSentences, stem, tokenize } from '../../../models/builtin/keywords.ts';

test('keywords drop stopwords and short tokens, lowercase, and stem possessives and plurals', () => {
  assert.equal(extractKeywords('What is the name of my dog?', 5), ['name', 'dog']);
  assert.equal(extractKeywords("My dog's name is Rex and he is a beagle.", 10), ['dog', 'name', 'rex', 'beagle']);
  assert.equal(extractKeywords('Dogs, DOGS and puppies: an ox', 5), ['dog', 'puppy']);
  assert.equal(extractKeywords("I don't know, it's ok.", 5), []);
});

test('ranked by frequency, then first position; unique; cut to count', () => {
  const text = 'Pizza is great. Pasta too. I eat pizza on Friday and pasta on Monday, pizza always.';
  assert.equal(extractKeywords(text, 3), ['pizza', 'pasta', 'great']);
  assert.equal(extractKeywords(text, 1), ['pizza']);
  assert.equal(extractKeywords(text, 0), []);
  assert.is(extractKeywords(text, 100).length, new Set(contentTerms(text)).size);
  assert.equal(extractKeywords(text, 4), extractKeywords(text, 4), 'deterministic');
});

test('unicode letters and digits are tokens; apostrophes join; ’ is an apostrophe', () => {
  assert.equal(tokenize('Café Müller in Zürich, 2024! Don’t'), ['café', 'müller', 'in', 'zürich', '2024', "don't"]);
  assert.equal(extractKeywords('Café Müller in Zürich since 2024', 5), ['café', 'müller', 'zürich', 'since', '2024']);
  assert.is(stem('glass'), 'glass');
  assert.is(stem('cities'), 'city');
  assert.is(stem('bus'), 'bus');
  assert.is(stem("anna's"), 'anna');
});

test('countTokens: word pieces of up to 6 characters, punctuation counts one, whitespace free', () => {
  assert.is(countTokens(''), 0);
  assert.is(countTokens('   '), 0);
  assert.is(countTokens('hello world'), 2);
  assert.is(countTokens('Hello, world!'), 4);
  assert.is(countTokens('internationalisation'), 4); // 20 characters
  assert.ok(countTokens('a b c d') < countTokens('a b c d e f'), 'monotone in length');
});

test('splitSentences keeps terminators, splits at ; and line breaks, keeps decimals', () => {
  assert.equal(splitSentences('I am 3.5 m tall. Are you?  Yes!\nNew line; and a clause'), ['I am 3.5 m tall.', 'Are you?', 'Yes!', 'New line;', 'and a clause']);
  assert.equal(splitSentences('  '), []);
});

test.run();
