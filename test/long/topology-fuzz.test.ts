import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { ValidationErrors } from '../../engine/errors.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import { parseTopology } from '../../topologies/validate.ts';

// npm run test:long: 5000 seeded mutations of the shipped topology files. Each one either validates
// or fails with ValidationErrors whose every error names the file and a line: never another exception.
const schemas = SchemaRegistry.load();
const files = ['topologies/demo-readings.yaml', ...fs.readdirSync('topologies/nexmark').map((f) => path.join('topologies/nexmark', f))];
const replacements: unknown[] = [null, 0, -1, 1.5, '', 'x', '10 s', true, [], {}, ['a'], { type: 'map' }, 'value.', 1e308];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(node: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(node)) node.forEach((c, i) => paths(c, [...at, i], out));
  else if (node && typeof node === 'object') for (const [k, c] of Object.entries(node)) paths(c, [...at, k], out);
  return out;
}

function mutate(doc: Json, rng: SplitMix32): Json {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p.length > 0);
  const target = all[rng.nextInt(all.length)]!;
  let parent: Json = copy;
  for (const seg of target.slice(0, -1)) parent = (parent as Record<string | number, Json>)[seg]!;
  const last = target[target.length - 1]!;
  const holder = parent as Record<string | number, Json>;
  switch (rng.nextInt(3)) {
    case 0: if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete holder[last]; break;
    case 1: holder[last] = replacements[rng.nextInt(replacements.length)] as Json; break;
    default: if (!Array.isArray(parent)) { holder[`${String(last)}_x`] = holder[last]!; delete holder[last]; } else holder[last] = 'nope'; break;
  }
  return copy;
}

test('mutated topology files give ValidationErrors with file and line, or validate', () => {
  const rng = new SplitMix32(99);
  let invalid = 0;
  for (let i = 0; i < 5000; i++) {
    const file = files[i % files.length]!;
    const doc = parseTopology(file, fs.readFileSync(file, 'utf8'), schemas).spec as unknown as Json;
    let mutated = mutate(doc, rng);
    if (rng.nextInt(4) === 0) mutated = mutate(mutated, rng);
    const text = stringify(mutated);
    try {
      parseTopology('mutated.yaml', text, schemas);
    } catch (err) {
      if (!(err instanceof ValidationErrors)) throw new Error(`mutation ${i} of ${file} threw ${String(err)}\n${text}`);
      invalid++;
      for (const e of err.errors) assert.ok(e.location?.file === 'mutated.yaml' && typeof e.location.line === 'number', `no file:line in ${e.format()}\n${text}`);
    }
  }
  assert.ok(invalid > 2500, `only ${invalid} mutations were invalid`);
});

test.run();
