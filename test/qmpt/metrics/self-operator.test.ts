/** The self-operator Ô_self of docs/QMPT.md §5. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { populationStats, SelfOperatorEstimator, type SelfReport } from '../../../qmpt/metrics/self-operator.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Pattern, SelfOperatorConfig } from '../../../qmpt/types.ts';
import { metricVersion } from '../../../qmpt/version.ts';
import { matchesRegression } from '../../support/regression.ts';
import { expectThrows } from '../../support/errors.ts';

const config: SelfOperatorConfig = { alpha_pop: 0.3, alpha_self: 0.3, alpha_meta: 0.2, alpha_R: 0.2 };

function pattern(id: string, anomaly: number | null, reflexivity: number | null): Pattern {
  return { pattern_id: id, layer_id: 'L1', metadata: {}, features: null, anomaly_score: anomaly, reflexivity, self_operator: null, components: null, feature_spec_version: null, metrics_version: null };
}

function close(a: number | null, b: number, what: string): void {
  assert.ok(a !== null && Math.abs(a - b) <= 1e-15, `${what}: ${a} vs ${b}`);
}

const population = { anomaly: [0.1, 0.2, 0.2, 0.5, 0.9] };

test('every component by hand', () => {
  const est = new SelfOperatorEstimator(config);
  const p = pattern('a', 0.5, 0.4);
  const d = est.scoreDetailed(p, population, { anomaly: 0.7, reflexivity: 0.5, confidence: 0.6 });
  // pop: 3 below, 1 equal of 5 → (3 + ½ + ½) / 6
  close(d.components.pop, 4 / 6, 'pop');
  // self: 1 − (|0.7 − 0.5| + |0.5 − 0.4|) / 2 = 0.85; meta: 1 − |0.6 − 0.85| = 0.75
  close(d.components.self, 1 - (Math.abs(0.7 - 0.5) + Math.abs(0.5 - 0.4)) / 2, 'self');
  close(d.components.meta, 1 - Math.abs(0.6 - d.components.self!), 'meta');
  assert.is(d.components.R, 0.4);
  close(d.value, (0.3 * d.components.pop! + 0.3 * d.components.self! + 0.2 * d.components.meta! + 0.2 * 0.4) / 1.0, 'Ô_self');
  assert.is(d.degraded, false);
  assert.equal(d.missing, []);
  // a report of one metric: self is that metric's accuracy alone
  close(est.scoreDetailed(p, population, { reflexivity: 0.1 }).components.self, 0.7, 'one stated metric');
});

test('without self-reports self and meta are undefined: the rest is renormalised and flagged', () => {
  const est = new SelfOperatorEstimator(config);
  const p = pattern('a', 0.9, 0.3);
  for (const report of [undefined, null, {}] as (SelfReport | null | undefined)[]) {
    const d = est.scoreDetailed(p, population, report);
    assert.equal(d.missing, ['self', 'meta']);
    assert.is(d.degraded, true);
    close(d.value, (0.3 * (5 / 6) + 0.2 * 0.3) / 0.5, 'renormalised'); // pop: 4 below, 1 equal
  }
  // confidence alone: no accuracy to calibrate against
  assert.equal(est.scoreDetailed(p, population, { confidence: 0.9 }).missing, ['self', 'meta']);
  // an unscored pattern: no pop, no self for the anomaly it cannot be compared on, no R
  const unscored = est.scoreDetailed(pattern('u', null, null), population, { anomaly: 0.5 });
  assert.equal(unscored, { value: null, components: { pop: null, self: null, meta: null, R: null }, degraded: true, missing: ['pop', 'self', 'meta', 'R'] });
  // an empty population has nothing to rank against
  assert.equal(est.scoreDetailed(p, { anomaly: [] }).missing, ['pop', 'self', 'meta']);
  // α = 0 components are not used and not missing
  const popOnly = new SelfOperatorEstimator({ alpha_pop: 1, alpha_self: 0, alpha_meta: 0, alpha_R: 0 });
  assert.equal(popOnly.scoreDetailed(p, population).missing, []);
  close(popOnly.score(p, population), 5 / 6, 'pop only');
});

test('in [0, 1]; monotone: standing further out of the population raises pop; a more accurate report raises self', () => {
  const est = new SelfOperatorEstimator(config);
  const rng = new Rng(4);
  const pop = Array.from({ length: 200 }, () => rng.next());
  const stats = { anomaly: pop };
  let previous = -1;
  for (const a of [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1]) {
    const d = est.scoreDetailed(pattern('x', a, 0.5), stats, { anomaly: a, confidence: 1 });
    assert.ok(d.components.pop! >= previous);
    previous = d.components.pop!;
    assert.ok(d.value! >= 0 && d.value! <= 1);
  }
  let accuracy = -1;
  for (const report of [1, 0.8, 0.6, 0.5]) {
    const self = est.scoreDetailed(pattern('x', 0.5, 0.5), stats, { anomaly: report }).components.self!;
    assert.ok(self > accuracy);
    accuracy = self;
  }
  assert.is(accuracy, 1);
});

test('populationStats collects the scored patterns (array or map); the ECDF follows a grown population', () => {
  const patterns = [pattern('a', 0.2, null), pattern('b', null, 0.5), pattern('c', 0.8, 0.1)];
  assert.equal(populationStats(patterns), { anomaly: [0.2, 0.8] });
  assert.equal(populationStats(new Map(patterns.map((p) => [p.pattern_id, p]))), { anomaly: [0.2, 0.8] });
  const est = new SelfOperatorEstimator(config);
  const stats = populationStats(patterns);
  const p = pattern('d', 0.5, null);
  close(est.scoreDetailed(p, stats).components.pop, 1.5 / 3, 'two');
  stats.anomaly.push(0.1);
  close(est.scoreDetailed(p, stats).components.pop, 2.5 / 4, 'three');
});

test('errors name the field', () => {
  const est = new SelfOperatorEstimator(config);
  const p = pattern('a', 0.5, 0.4);
  const failure = (run: () => unknown): MaasflowError => expectThrows(run, {});

  let e = failure(() => est.score(p, population, { confidence: 1.2 }));
  assert.is(e.message, 'SelfOperatorEstimator.score: selfReports.confidence = 1.2 must be a number in [0, 1]');
  assert.is(e.location?.path, 'selfReports.confidence');
  assert.is(e.code, 'RECORD_VALIDATE');
  e = failure(() => est.score(p, population, { anomaly: Number.NaN }));
  assert.is(e.location?.path, 'selfReports.anomaly');
  e = failure(() => est.score(p, population, { anomaly_score: 0.5 } as unknown as SelfReport));
  assert.is(e.message, 'SelfOperatorEstimator.score: selfReports.anomaly_score is not a self-report field; known: anomaly, reflexivity, confidence');
  e = failure(() => est.score(pattern('a', 2, 0), population));
  assert.is(e.message, 'SelfOperatorEstimator.score: pattern.anomaly_score = 2 must be null or a number in [0, 1]');
  e = failure(() => est.score(p, { anomaly: [0.1, Number.NaN] }));
  assert.is(e.message, 'MidRankEcdf: populationStats.anomaly[1] is NaN; every reference value must be a finite number');
  e = failure(() => est.score(p, {} as { anomaly: number[] }));
  assert.is(e.location?.path, 'populationStats.anomaly');
  e = failure(() => new SelfOperatorEstimator({ ...config, alpha_meta: -1 }));
  assert.is(e.message, 'SelfOperatorEstimator: metrics.self_operator.alpha_meta = -1 must be a finite number ≥ 0');
  e = failure(() => new SelfOperatorEstimator({ alpha_pop: 0, alpha_self: 0, alpha_meta: 0, alpha_R: 0 }));
  assert.is(e.location?.path, 'metrics.self_operator');
});

test('version and regression set', () => {
  const est = new SelfOperatorEstimator(config);
  assert.is(est.version, metricVersion('self_operator', 1, config));
  const rng = new Rng(17);
  const patterns = Array.from({ length: 30 }, (_, i) => pattern(`p${i}`, rng.next() < 0.1 ? null : rng.next(), rng.next() < 0.1 ? null : rng.next()));
  const stats = populationStats(patterns);
  const out = patterns.slice(0, 10).map((p, i) => est.scoreDetailed(p, stats, i % 3 === 0 ? null : { anomaly: rng.next(), ...(i % 2 ? { confidence: rng.next() } : { reflexivity: rng.next() }) }));
  matchesRegression('self-operator', out);
});

test.run();
