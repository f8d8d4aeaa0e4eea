/** The built-in hashed embedder: determinism, normalisation, similarity sanity. */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BuiltinEmbedder, cosine, fnv1a, hashEmbed } from '../../../models/builtin/embedder.ts';

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const digest = (v: Float32Array): string => createHash('sha256').update(Buffer.from(v.buffer, v.byteOffset, v.byteLength)).digest('hex').slice(0, 16);

test('same text gives a bit-identical vector, across calls and instances', async () => {
  const text = "My dog's name is Rex and he is a beagle.";
  const a = hashEmbed(text);
  const [b] = await new BuiltinEmbedder().embed([text]);
  assert.equal(digest(a), digest(b!));
  assert.equal(digest(a), digest(hashEmbed(text)));
});

test('frozen value: a change to the hashing shows here (stored memories would need re-embedding)', () => {
  assert.is(fnv1a('hello'), 0x4f9f2cab);
  assert.is(digest(hashEmbed('Hello world, my dog Rex.')), digest(hashEmbed('hello WORLD my dog rex')));
  assert.snapshot(digest(hashEmbed('Hello world, my dog Rex.')), FROZEN);
});
const FROZEN = '9a50b42e4dbc106e';

test('vectors are L2-normalised, of the asked length; no words gives the zero vector', async () => {
  assert.ok(Math.abs(norm(hashEmbed('I live in Lisbon.')) - 1) < 1e-6);
  assert.is(hashEmbed('x', 64).length, 64);
  assert.is(norm(hashEmbed('  ?!  ')), 0);
  assert.is(cosine(hashEmbed(''), hashEmbed('dog')), 0);
  assert.throws(() => hashEmbed('a', 0), /positive integer/);
  const e = new BuiltinEmbedder(128);
  assert.is(e.id, 'builtin-hash-128');
  assert.is(new BuiltinEmbedder().id, 'builtin-hash-256');
  assert.is(new BuiltinEmbedder().dim, 256);
  const out = await e.embed(['a dog', 'a cat']);
  assert.is(out.length, 2);
  assert.equal(digest(out[1]!), digest(hashEmbed('a cat', 128)));
});

test('a paraphrase is closer than an unrelated text; morphological variants are close', () => {
  const base = hashEmbed('My dog is called Rex.');
  const para = hashEmbed('Rex is the name of my dog.');
  const unrelated = hashEmbed('The stock market fell sharply today.');
  assert.ok(cosine(base, para) > 0.5, `paraphrase ${cosine(base, para)}`);
  assert.ok(cosine(base, unrelated) < 0.1, `unrelated ${cosine(base, unrelated)}`);
  const question = hashEmbed('What is the name of my dog?');
  assert.ok(cosine(question, hashEmbed("My dog's name is Rex and he is a beagle.")) > cosine(question, hashEmbed('I work as a nurse at the city hospital.')) + 0.3);
  assert.ok(cosine(hashEmbed('beagles'), hashEmbed('beagle')) > 0.9);
  // a shared stem without stemming still counts, through the trigrams
  assert.ok(cosine(hashEmbed('gardening'), hashEmbed('garden')) > 0.1);
  assert.ok(cosine(hashEmbed('gardening'), hashEmbed('hospital')) < 0.05);
});

test.run();
