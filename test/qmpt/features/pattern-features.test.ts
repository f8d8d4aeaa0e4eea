/** x_Ψ: the mean row of a pattern's observations, patterns in first-appearance order. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { patternFeatures } from '../../../qmpt/features/pattern-features.ts';
import { fromRows, matrix } from '../../../qmpt/matrix.ts';
import { obs } from './helpers.ts';

test('means per pattern, in the order of first appearance', () => {
  const o = [obs('a', 'x', 'text', 'zeta'), obs('b', 'x', 'text', 'alpha'), obs('c', 'x', 'text', 'zeta'), obs('d', 'x', 'text', 'zeta')];
  const X = fromRows([
    [1, 10],
    [5, 5],
    [2, 20],
    [6, 0],
  ]);
  const xs = patternFeatures(o, X);
  assert.equal([...xs.keys()], ['zeta', 'alpha']);
  assert.equal(Array.from(xs.get('zeta')!), [3, 10]);
  assert.equal(Array.from(xs.get('alpha')!), [5, 5]);
});

test('rows and observations must match', () => {
  assert.throws(() => patternFeatures([obs('a', 'x')], matrix(2, 1)), /1 observations but 2 feature rows/);
  assert.equal(patternFeatures([], matrix(0, 3)).size, 0);
});

test.run();
