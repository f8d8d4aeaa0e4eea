/** Lookups over the data models: canonical groupings whatever the input order, windows (t − w, t]. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { groupByLayer, groupByPattern, layerIndex, layerOf, observationsByLayer, observationsInWindow, sortObservations } from '../../../qmpt/data/indexing.ts';
import { makeObservation, makePattern } from '../../../qmpt/data/models.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Observation } from '../../../qmpt/types.ts';

const obs = (obs_id: string, pattern_id: string, timestamp: number): Observation => makeObservation({ obs_id, pattern_id, timestamp, modality: 'eeg', payload: [timestamp] });
const OBS = [obs('b', 'p2', 5), obs('a', 'p1', 3), obs('c', 'p1', 1), obs('d', 'p2', 5), obs('e', 'p10', 0), obs('f', 'p1', 3)];
const PATTERNS = [makePattern({ pattern_id: 'p2', layer_id: 'L2' }), makePattern({ pattern_id: 'p1', layer_id: 'L1' }), makePattern({ pattern_id: 'p10', layer_id: 'L1' })];

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const order = new Rng(seed).sample(xs.length, xs.length);
  return Array.from(order, (i) => xs[i]!);
}

const ids = (m: Map<string, { obs_id?: string; pattern_id?: string }[]>): [string, string[]][] => [...m].map(([k, v]) => [k, v.map((x) => x.obs_id ?? x.pattern_id!)]);

test('groupByPattern: keys in code-unit order, members by timestamp then obs_id, the same for any input order', () => {
  const expected: [string, string[]][] = [['p1', ['c', 'a', 'f']], ['p10', ['e']], ['p2', ['b', 'd']]];
  assert.equal(ids(groupByPattern(OBS)), expected);
  for (const seed of [1, 2, 3]) assert.equal(ids(groupByPattern(shuffled(OBS, seed))), expected);
  assert.equal(OBS[0]!.obs_id, 'b', 'the input is not reordered');
});

test('groupByLayer, layerIndex and layerOf', () => {
  assert.equal(ids(groupByLayer(PATTERNS)), [['L1', ['p1', 'p10']], ['L2', ['p2']]]);
  assert.equal(ids(groupByLayer(new Map(PATTERNS.map((p) => [p.pattern_id, p])))), [['L1', ['p1', 'p10']], ['L2', ['p2']]]);
  const index = layerIndex(PATTERNS);
  assert.is(layerOf(index, OBS[0]!), 'L2');
  assert.throws(() => layerOf(index, obs('z', 'nope', 0)), (e: Error) => e instanceof MaasflowError && e.message.includes('observation "z" /pattern_id: no pattern "nope"'));
  assert.throws(() => layerIndex([...PATTERNS, makePattern({ pattern_id: 'p1', layer_id: 'L2' })]), (e: Error) => e.message.includes('pattern "p1" /layer_id: given in layers "L1" and "L2"'));
  assert.equal(ids(observationsByLayer(OBS, PATTERNS)), [['L1', ['e', 'c', 'a', 'f']], ['L2', ['b', 'd']]]);
});

test('observationsInWindow is (from, to], as a brute-force filter gives', () => {
  const rng = new Rng(5);
  const many = sortObservations(Array.from({ length: 300 }, (_, i) => obs(`o${i}`, 'p', Math.floor(rng.uniform(0, 50)))));
  for (const [from, to] of [[-1, 0], [0, 0], [3, 5], [10.5, 20.5], [49, 60], [60, 70], [-10, -5]] as const) {
    const brute = many.filter((o) => o.timestamp > from && o.timestamp <= to);
    assert.equal(observationsInWindow(many, from, to).map((o) => o.obs_id), brute.map((o) => o.obs_id), `(${from}, ${to}]`);
  }
  assert.throws(() => observationsInWindow(many, 2, 1), /from 2 must not be after to 1/);
});

test.run();
