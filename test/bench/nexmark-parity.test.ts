import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBaseline, BASELINE_QUERIES } from '../../bench/baselines/nexmark-loops.ts';
import { runEngine } from '../../bench/nexmark.ts';
import { SchemaRegistry } from '../../schemas/index.ts';

// The benchmark's topology files must compute exactly what the hand-written loops compute.
const schemas = SchemaRegistry.load();
for (const query of BASELINE_QUERIES) {
  test(`nexmark ${query}: topology output equals the hand-written loop (count and checksum)`, async () => {
    const events = 250_000;
    const engine = await runEngine({ query, events }, schemas);
    const loop = runBaseline(query, { seed: 42, events });
    assert.ok(loop.outputs > 0);
    assert.is(engine.outputs, loop.outputs, 'outputs');
    assert.is(engine.checksum, loop.checksum, 'checksum');
  });
}

test.run();
