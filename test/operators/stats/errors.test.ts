/** Bad arguments: a MaasflowError (code CONFIG) whose message names the function and the argument. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { adjustPValues, bootstrapDiff, cuped, cupedArms, mannWhitney, msprt, power, sampleSize, srm, welch, type Alternative, type CorrectionMethod, type PowerTest } from '../../../operators/stats/index.ts';

function fails(run: () => unknown, message: string, path?: string): void {
  try {
    run();
  } catch (err) {
    assert.instance(err, MaasflowError);
    const e = err as MaasflowError;
    assert.is(e.code, 'CONFIG');
    assert.is(e.retriable, false);
    assert.is(e.message, message);
    if (path !== undefined) assert.is(e.location?.path, path);
    return;
  }
  assert.unreachable(`accepted; expected "${message}"`);
}

const ok = [1, 2, 3, 4];

test('samples: empty, too small, NaN, Infinity, non-numbers, not an array', () => {
  fails(() => welch([], ok), 'welch: a is empty', 'a');
  fails(() => welch(ok, [1]), 'welch: b has 1 value; at least 2 needed', 'b');
  fails(() => welch(ok, [1, Number.NaN]), 'welch: b[1] is NaN; every value must be a finite number', 'b[1]');
  fails(() => mannWhitney([Number.POSITIVE_INFINITY], ok), 'mannWhitney: a[0] is Infinity; every value must be a finite number');
  fails(() => mannWhitney(['1', 2] as unknown as number[], ok), 'mannWhitney: a[0] is string; every value must be a finite number');
  fails(() => welch(null as unknown as number[], ok), 'welch: a must be an array of numbers');
  fails(() => welch([1e308, 1e308], ok), 'welch: a has values so large that their sum overflows');
  fails(() => mannWhitney(ok, []), 'mannWhitney: b is empty');
  fails(() => bootstrapDiff(ok, [7], { seed: 1 }), 'bootstrapDiff: b has 1 value; at least 2 needed');
  fails(() => msprt([1], ok, { tau2: 1 }), 'msprt: a has 1 value; at least 2 needed');
});

test('alpha, confidence, power outside (0, 1); unknown alternative or method', () => {
  fails(() => welch(ok, ok, { confidence: 1 }), 'welch: confidence = 1 must be a number strictly between 0 and 1', 'confidence');
  fails(() => welch(ok, ok, { confidence: Number.NaN }), 'welch: confidence = NaN must be a number strictly between 0 and 1');
  fails(() => welch(ok, ok, { alternative: 'two_sided' as Alternative }), 'welch: alternative = "two_sided" must be one of "two-sided", "less", "greater"', 'alternative');
  fails(() => msprt(ok, ok, { tau2: 1, alpha: 0 }), 'msprt: alpha = 0 must be a number strictly between 0 and 1');
  fails(() => srm([10, 12], { alpha: 1.5 }), 'srm: alpha = 1.5 must be a number strictly between 0 and 1');
  fails(() => adjustPValues([0.1], { method: 'holm', alpha: -0.1 }), 'adjustPValues: alpha = -0.1 must be a number strictly between 0 and 1');
  fails(() => adjustPValues([0.1], { method: 'bonferroni' as CorrectionMethod }), 'adjustPValues: method = "bonferroni" must be "holm" or "fdr_bh"');
  fails(() => sampleSize({ effectSize: 0.2, power: 1 }), 'sampleSize: power = 1 must be a number strictly between 0 and 1');
  fails(() => power({ effectSize: 0.2, nobs1: 10, alpha: 0 }), 'power: alpha = 0 must be a number strictly between 0 and 1');
  fails(() => power({ test: 'z' as PowerTest, effectSize: 0.2, nobs1: 10 }), 'power: test = "z" must be "normal" or "t"');
  fails(() => bootstrapDiff(ok, ok, { seed: 1, method: 'bc' as 'bca' }), 'bootstrapDiff: method = "bc" must be "percentile" or "bca"');
});

test('bootstrap, mSPRT, power, SRM and correction parameters', () => {
  fails(() => bootstrapDiff(ok, ok, { seed: -1 }), 'bootstrapDiff: seed = -1 must be an integer in 0..4294967295', 'seed');
  fails(() => bootstrapDiff(ok, ok, { seed: 1.5 }), 'bootstrapDiff: seed = 1.5 must be an integer in 0..4294967295');
  fails(() => bootstrapDiff(ok, ok, undefined as unknown as { seed: number }), 'bootstrapDiff: options must be an object with at least a seed');
  fails(() => bootstrapDiff(ok, ok, { seed: 1, resamples: 1 }), 'bootstrapDiff: resamples = 1 must be an integer in 2..100000000');
  fails(() => bootstrapDiff(ok, ok, { seed: 1, chunkSize: 0 }), 'bootstrapDiff: chunkSize = 0 must be an integer in 1..1000000');
  fails(() => msprt(ok, ok, { tau2: 0 }), 'msprt: tau2 = 0 must be a finite number > 0', 'tau2');
  fails(() => msprt(ok, ok, {} as { tau2: number }), 'msprt: tau2 = undefined must be a finite number > 0');
  fails(() => msprt(ok, ok, { tau2: 1, every: 0 }), 'msprt: every = 0 must be an integer in 1..9007199254740991');
  fails(() => msprt(ok, ok, { tau2: 1, minPerArm: 1 }), 'msprt: minPerArm = 1 must be an integer in 2..9007199254740991');
  fails(() => msprt(ok, ok, { tau2: 1, sigma2: -2 }), 'msprt: sigma2 = -2 must be a finite number > 0');
  fails(() => msprt(ok, ok, { tau2: 1, theta0: Number.NaN }), 'msprt: theta0 = NaN must be a finite number');
  fails(() => power({ effectSize: 0.2, nobs1: 0 }), 'power: nobs1 = 0 must be a finite number > 0', 'nobs1');
  fails(() => power({ effectSize: 0.2, nobs1: 0.5 }), 'power: nobs1 = 0.5 leaves no degrees of freedom (n_a + n_b must exceed 2)');
  fails(() => power({ effectSize: Number.NaN, nobs1: 10 }), 'power: effectSize = NaN must be a finite number');
  fails(() => power({ effectSize: 0.2, nobs1: 10, ratio: 0 }), 'power: ratio = 0 must be a finite number > 0');
  fails(() => sampleSize({ effectSize: 0 }), 'sampleSize: effectSize = 0: no sample size detects a zero effect');
  fails(() => sampleSize({ effectSize: -0.2, alternative: 'greater' }), 'sampleSize: effectSize = -0.2 is negative, but alternative "greater" detects positive effects');
  fails(() => sampleSize({ effectSize: 0.2, alternative: 'less' }), 'sampleSize: effectSize = 0.2 is positive, but alternative "less" detects negative effects');
  fails(() => sampleSize({ effectSize: 0.2, power: 0.01 }), 'sampleSize: power = 0.01 must exceed alpha = 0.05');
  fails(() => sampleSize({ effectSize: 1e-9 }), 'sampleSize: effectSize = 1e-9 is too small to reach power 0.8 with fewer than 1e13 observations');
  fails(() => srm([10]), 'srm: observed has 1 arm; at least 2 needed');
  fails(() => srm([10, -1]), 'srm: observed[1] = -1 must be a finite count >= 0', 'observed[1]');
  fails(() => srm([0, 0]), 'srm: observed has no observations (all counts are 0)');
  fails(() => srm([10, 12], { ratios: [1] }), 'srm: ratios has 1 entries for 2 arms');
  fails(() => srm([10, 12], { ratios: [1, 0] }), 'srm: ratios[1] = 0 must be a finite number > 0');
  fails(() => srm('ab' as unknown as number[]), 'srm: observed must be an array of counts');
  fails(() => adjustPValues([], { method: 'fdr_bh' }), 'adjustPValues: pValues is empty');
  fails(() => adjustPValues([0.2, 1.2], { method: 'fdr_bh' }), 'adjustPValues: pValues[1] = 1.2 must be a number in [0, 1]');
});

test('CUPED: mismatched lengths and a constant covariate', () => {
  fails(() => cuped([1, 2, 3], [1, 2]), 'cuped: x has 2 values for 3 values of y', 'x');
  fails(() => cuped([1, 2, 3], [5, 5, 5]), 'cuped: x is constant: var(x) = 0, so it cannot explain any variance');
  fails(() => cupedArms({ y: ok, x: ok }, { y: ok, x: [1, 2] }), 'cupedArms: b.x has 2 values for 4 values of b.y');
  fails(() => cupedArms({ y: ok, x: ok }, null as unknown as { y: number[]; x: number[] }), 'cupedArms: b must be { y, x }');
});

test.run();
