import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTopology } from '../../engine/runtime.ts';
import { defineOperator } from '../../operators/definition.ts';
import { registerOperator } from '../../operators/registry.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';
import type { TopologySpec } from '../../topologies/spec.ts';

// An operator that waits (like a database lookup or a model call) before emitting: random delays per batch.
const rng = new SplitMix32(5);
/** Resources the test operators hold: acquired in create, released when their task is dropped. */
let held = 0;
let released = 0;
registerOperator(defineOperator<{ failAt?: number }>({
  type: 'test.slowTag',
  summary: 'test: awaits a random delay, then tags each record',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { failAt: { type: 'integer' } } },
  create(p, ctx) {
    const seen = ctx.store<'n', number>('seen');
    held++;
    return {
      async release() {
        await delay(1);
        held--;
        released++;
      },
      async process(batch, _input, out) {
        await delay(rng.nextInt(4));
        const n = seen.get('n') ?? 0;
        if (p.failAt !== undefined && n + batch.values.length > p.failAt) throw new Error(`lookup failed at record ${p.failAt}`);
        seen.set('n', n + batch.values.length);
        for (let i = 0; i < batch.values.length; i++) {
          out.push({ ...(batch.values[i] as object), tagged: n + i }, batch.timestamps[i]!, batch.keys ? batch.keys[i]! : null);
        }
      },
    };
  },
}));

const schemas = SchemaRegistry.load();
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-async-'));

function spec(dir: string, params: Record<string, unknown> = {}): TopologySpec {
  fs.writeFileSync(path.join(dir, 'in.jsonl'), Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
  return {
    name: 'async-op',
    runtime: { batchSize: 64, maxInFlightBatches: 2 },
    checkpoint: { interval: '20ms' },
    sources: [{ id: 'in', type: 'replay', params: { path: path.join(dir, 'in.jsonl') } }],
    operators: [
      { id: 'slow', type: 'test.slowTag', input: 'in', params },
      { id: 'fast', type: 'map', input: 'slow', params: { fields: { i: 'value.i', tagged: 'value.tagged' } } },
    ],
    sinks: [{ id: 'out', type: 'jsonl', input: 'fast', params: { path: path.join(dir, 'out.jsonl') } }],
  };
}

test('an asynchronous operator keeps record order, and checkpoints wait until its batches reached the sinks', async () => {
  const dir = tmp();
  const summary = await runTopology(spec(dir), { schemas, dataDir: dir });
  assert.ok(summary.checkpoints > 3, `several checkpoints while batches were in flight (${summary.checkpoints})`);
  const rows = fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number; tagged: number });
  assert.is(rows.length, 3000);
  rows.forEach((r, k) => assert.equal(r, { i: k, tagged: k }));
});

test('a rejected promise of an asynchronous operator fails the run with its error', async () => {
  const dir = tmp();
  try {
    await runTopology(spec(dir, { failAt: 1000 }), { schemas, dataDir: dir });
    assert.unreachable('the run should fail');
  } catch (err) {
    assert.match((err as Error).message, 'lookup failed at record 1000');
  }
});

test('every operator instance is released once its run ends: completed, stopped or failed', async () => {
  const before = released;
  await runTopology(spec(tmp()), { schemas, dataDir: tmp() });
  assert.is(released, before + 1, 'completed run');
  const stop = new AbortController();
  const stopped = runTopology(spec(tmp()), { schemas, dataDir: tmp(), signal: stop.signal, onCheckpoint: () => stop.abort() });
  assert.not.ok((await stopped).completed);
  assert.is(released, before + 2, 'stopped run');
  await runTopology(spec(tmp(), { failAt: 100 }), { schemas, dataDir: tmp() }).then(
    () => assert.unreachable('the operator failed'),
    () => undefined,
  );
  assert.is(released, before + 3, 'failed run');
  assert.is(held, 0, 'nothing is held after the runs');
});

test.run();
