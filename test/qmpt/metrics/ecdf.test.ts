/** The mid-rank ECDF of docs/QMPT.md §3.2. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { MidRankEcdf } from '../../../qmpt/metrics/ecdf.ts';
import { Rng } from '../../../qmpt/random.ts';

test('hand-computed mid-ranks with ties, below, above and between the reference', () => {
  // reference 1 2 2 3, n = 4: F(x) = (#< + ½#= + ½) / 5
  const f = MidRankEcdf.fit([3, 2, 1, 2]);
  assert.is(f.size, 4);
  assert.is(f.value(0), 0.5 / 5);
  assert.is(f.value(1), (0 + 0.5 + 0.5) / 5);
  assert.is(f.value(2), (1 + 1 + 0.5) / 5);
  assert.is(f.value(2.5), (3 + 0.5) / 5);
  assert.is(f.value(3), (3 + 0.5 + 0.5) / 5);
  assert.is(f.value(9), 4.5 / 5);
  assert.is(f.value(Infinity), 4.5 / 5);
  assert.is(f.value(-Infinity), 0.5 / 5);
  assert.is(MidRankEcdf.fit([]).value(7), 0.5);
});

test('agrees with a linear count on random data; monotone; inside (0, 1)', () => {
  const rng = new Rng(3);
  const ref = Array.from({ length: 501 }, () => Math.round(rng.normal() * 4) / 2); // many ties
  const f = MidRankEcdf.fit(ref);
  let prev = 0;
  for (let x = -8; x <= 8; x += 0.25) {
    const less = ref.filter((r) => r < x).length;
    const equal = ref.filter((r) => r === x).length;
    const v = f.value(x);
    assert.is(v, (less + 0.5 * equal + 0.5) / (ref.length + 1));
    assert.ok(v > 0 && v < 1 && v >= prev);
    prev = v;
  }
});

test('state round trip; bad input named', () => {
  const f = MidRankEcdf.fit([0.3, 0.1, 0.2]);
  const g = MidRankEcdf.fromState(JSON.parse(JSON.stringify(f.toState())));
  assert.equal(g.values([0.05, 0.1, 0.25, 0.4]), f.values([0.05, 0.1, 0.25, 0.4]));
  assert.throws(() => MidRankEcdf.fit([1, Number.NaN], 'rarities'), (e: unknown) => e instanceof MaasflowError && e.message === 'MidRankEcdf: rarities[1] is NaN; every reference value must be a finite number');
  assert.throws(() => MidRankEcdf.fromState({ sorted: [2, 1] }), /sorted\[1\] = 1 is not a finite number in ascending order/);
  assert.throws(() => f.value(Number.NaN), /x is NaN/);
});

test.run();
