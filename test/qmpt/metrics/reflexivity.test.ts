/** Reflexivity R̂_norm of docs/QMPT.md §4: r_text, r_dyn, their mix, the incremental form. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaasflowError } from '../../../engine/errors.ts';
import { fromRows } from '../../../qmpt/matrix.ts';
import { ReflexivityEstimator, type ReflexivityState } from '../../../qmpt/metrics/reflexivity.ts';
import { Rng } from '../../../qmpt/random.ts';
import type { Observation, ReflexivityConfig } from '../../../qmpt/types.ts';
import { metricVersion } from '../../../qmpt/version.ts';
import { matchesRegression } from '../../support/regression.ts';
import { expectThrows } from '../../support/errors.ts';

const config: ReflexivityConfig = { beta_text: 0.6, beta_dyn: 0.4, text_half_saturation: 0.1, dyn_window: 16 };

function obs(id: string, t: number, payload: unknown, modality = typeof payload === 'string' ? 'text' : 'behavior', pattern = 'p'): Observation {
  return { obs_id: id, pattern_id: pattern, timestamp: t, modality, payload, tags: [] };
}

function close(a: number | null, b: number, tol: number, what: string): void {
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test('r_text by hand: ρ = (n_self + n_cog) / N, r = ρ / (ρ + h)', () => {
  const est = new ReflexivityEstimator(config);
  // 6 tokens, 3 self (I, I, myself), 2 cognitive (think, noticed); then 4 tokens, none; a numeric observation has no tokens
  const o = [obs('a', 1, 'I think I noticed it myself.'), obs('b', 2, 'The sky is blue'), obs('c', 3, [1, 2])];
  const rho = 5 / 10;
  close(est.scoreText(o), rho / (rho + 0.1), 1e-15, 'r_text');
  close(new ReflexivityEstimator({ ...config, text_half_saturation: 0.5 }).scoreText(o), 0.5, 1e-15, 'ρ = h gives ½');
  assert.is(est.scoreText([obs('c', 3, [1, 2])]), null);
  assert.is(est.scoreText([obs('d', 1, '  ... ')]), null);
});

test('r_dyn by hand: best non-negative cosine to the W observations before, averaged over i ≥ 2', () => {
  const o = [obs('1', 1, [0]), obs('2', 2, [0]), obs('3', 3, [0]), obs('4', 4, [0]), obs('5', 5, [0])];
  const v = fromRows([[1, 0], [2, 0], [0, 1], [1, 0], [-1, -1]]);
  // i=2: cos(v2, v1) = 1; i=3: 0; i=4 with W = 2: max(cos(v4, v3), cos(v4, v2)) = 1, with W = 1: 0; i=5: all negative → 0
  close(new ReflexivityEstimator({ ...config, dyn_window: 2 }).scoreDyn(o, v), (1 + 0 + 1 + 0) / 4, 1e-15, 'W = 2');
  close(new ReflexivityEstimator({ ...config, dyn_window: 1 }).scoreDyn(o, v), (1 + 0 + 0 + 0) / 4, 1e-15, 'W = 1');
  const w = fromRows([[1, 0], [1, 1]]);
  close(new ReflexivityEstimator(config).scoreDyn(o.slice(0, 2), w), Math.SQRT1_2, 1e-15, 'cos 45°');
  assert.is(new ReflexivityEstimator(config).scoreDyn(o.slice(0, 1), fromRows([[1, 0]])), null);
});

test('time order: (timestamp, obs_id) inside, vectors aligned with the observations as passed', () => {
  const est = new ReflexivityEstimator({ ...config, dyn_window: 1 });
  const sorted = [obs('a', 1, [0]), obs('b', 2, [0]), obs('c', 2, [0]), obs('d', 3, [0])];
  const rows = [[1, 0], [0, 1], [1, 0], [1, 1]];
  const expected = est.scoreDyn(sorted, fromRows(rows));
  // (0 + 0 + 1/√2) / 3 in this order
  close(expected, Math.SQRT1_2 / 3, 1e-15, 'sorted');
  const perm = [3, 1, 0, 2];
  assert.is(est.scoreDyn(perm.map((i) => sorted[i]!), perm.map((i) => Float64Array.from(rows[i]!))), expected);
});

test('derived vectors: a repeated text recurs fully; text and numeric observations are not compared; records by their keys', () => {
  const est = new ReflexivityEstimator(config);
  assert.is(est.scoreDyn([obs('a', 1, 'I feel calm today'), obs('b', 2, 'I feel calm today')]), 1);
  assert.is(est.scoreDyn([obs('a', 1, 'I feel calm today'), obs('b', 2, [1, 2, 3])]), 0);
  const r = est.scoreDyn([obs('a', 1, { alpha: 1, beta: 0 }), obs('b', 2, { beta: 0, alpha: 3 }), obs('c', 3, { gamma: 1, alpha: 1 })]);
  close(r, (1 + 0) / 2, 1e-15, 'records: same keys compare, other keys do not');
  assert.is(est.scoreDyn([obs('a', 1, [0, 0]), obs('b', 2, [0, 0])]), 0, 'zero vectors have similarity 0');
});

test('R̂_norm mixes the defined parts; degraded names the missing one; β = 0 parts are not used', () => {
  const est = new ReflexivityEstimator(config);
  const o = [obs('a', 1, 'I think so'), obs('b', 2, 'I think so too')];
  const d = est.scoreDetailed(o);
  assert.is(d.degraded, false);
  assert.equal(d.missing, []);
  close(d.value, (0.6 * d.r_text! + 0.4 * d.r_dyn!) / 1.0, 1e-15, 'mix');
  const numeric = est.scoreDetailed([obs('a', 1, [1, 0]), obs('b', 2, [1, 1])]);
  assert.equal(numeric, { value: numeric.r_dyn, r_text: null, r_dyn: numeric.r_dyn, degraded: true, missing: ['r_text'] });
  close(numeric.r_dyn, Math.SQRT1_2, 1e-15, 'r_dyn');
  const single = est.scoreDetailed([obs('a', 1, 'I know')]);
  assert.equal(single.missing, ['r_dyn']);
  assert.is(single.value, single.r_text);
  assert.equal(est.scoreDetailed([obs('a', 1, [1])]), { value: null, r_text: null, r_dyn: null, degraded: true, missing: ['r_text', 'r_dyn'] });
  assert.equal(est.scoreDetailed([]), { value: null, r_text: null, r_dyn: null, degraded: true, missing: ['r_text', 'r_dyn'] });
  const textOnly = new ReflexivityEstimator({ ...config, beta_dyn: 0 });
  assert.equal(textOnly.scoreDetailed([obs('a', 1, 'I know')]).missing, []);
  assert.is(textOnly.score([obs('a', 1, [1])]), null);
  for (const x of [d.value, d.r_text, d.r_dyn]) assert.ok(x !== null && x >= 0 && x <= 1);
});

/** A seeded pattern of English/Russian texts from templates, with a few numeric observations. */
function corpus(seed: number, n: number, pattern = 'p'): Observation[] {
  const rng = new Rng(seed);
  const subjects = ['I', 'Я', 'We', 'The team', 'Мы', 'She'];
  const verbs = ['think that', 'думаю, что', 'noticed', 'заметила, что', 'said', 'сказал, что', 'feel', 'понимаю, что'];
  const objects = ['the plan works', 'всё идёт по плану', 'my answer was wrong', 'это ошибка', 'the weather is fine', 'я снова повторяю себя'];
  return Array.from({ length: n }, (_, i) => {
    const t = Math.floor(rng.next() * 20); // ties on purpose
    if (rng.next() < 0.15) return obs(`o${i}`, t, [rng.normal(), rng.normal()], 'behavior', pattern);
    const text = `${subjects[rng.int(subjects.length)]} ${verbs[rng.int(verbs.length)]} ${objects[rng.int(objects.length)]}.`;
    return obs(`o${i}`, t, text, 'text', pattern);
  });
}

function timeSorted(o: Observation[]): Observation[] {
  return [...o].sort((a, b) => a.timestamp - b.timestamp || (a.obs_id < b.obs_id ? -1 : a.obs_id > b.obs_id ? 1 : 0));
}

test('incremental: update per observation in time order gives the batch numbers, through a JSON checkpoint too', () => {
  for (const window of [1, 3, 16]) {
    const est = new ReflexivityEstimator({ ...config, dyn_window: window });
    const o = corpus(window, 40);
    const batch = est.scoreDetailed(o);
    let state: ReflexivityState = est.initialState();
    timeSorted(o).forEach((x, i) => {
      est.update(state, x);
      if (i === 17) state = JSON.parse(JSON.stringify(state)) as ReflexivityState; // a checkpoint restore
    });
    assert.equal(est.detail(state), batch, `W = ${window}`);
    assert.is(est.value(state), batch.value);
    assert.ok(state.window.length <= window);
  }
  // with explicit vectors
  const est = new ReflexivityEstimator(config);
  const o = corpus(5, 12);
  const rows = o.map((_, i) => [Math.cos(i), Math.sin(i * 0.7), 0.1 * i]);
  const batch = est.scoreDetailed(o, fromRows(rows));
  const state = est.initialState();
  const order = o.map((_, i) => i).sort((a, b) => o[a]!.timestamp - o[b]!.timestamp || (o[a]!.obs_id < o[b]!.obs_id ? -1 : 1));
  for (const i of order) est.update(state, o[i]!, rows[i]!);
  assert.equal(est.detail(state), batch);
});

test('errors: out-of-order and foreign observations, misaligned vectors, bad payloads, bad config', () => {
  const est = new ReflexivityEstimator(config);
  const state = est.initialState();
  est.update(state, obs('b', 5, 'x'));
  const failure = (run: () => unknown): MaasflowError => expectThrows(run, {});

  let e = failure(() => est.update(state, obs('a', 5, 'y')));
  assert.is(e.code, 'RUNTIME');
  assert.match(e.message, /observation a \(t = 5\) sorts before b \(t = 5\)/);
  e = failure(() => est.update(state, obs('c', 6, 'y', 'text', 'q')));
  assert.is(e.message, 'ReflexivityEstimator.update: observation c /pattern_id = "q" is not the state\'s pattern "p"');
  e = failure(() => est.score([obs('a', 1, 'x'), obs('b', 2, 'y', 'text', 'q')]));
  assert.is(e.message, 'ReflexivityEstimator.score: observations[1].pattern_id = "q" differs from observations[0].pattern_id "p"; score one pattern at a time');
  e = failure(() => est.scoreDyn([obs('a', 1, 'x'), obs('b', 2, 'y')], fromRows([[1]])));
  assert.is(e.message, 'ReflexivityEstimator.scoreDyn: vectors has 1 rows for 2 observations; they must be aligned');
  e = failure(() => est.scoreDyn([obs('a', 1, 'x')], [[Number.NaN]]));
  assert.is(e.message, 'ReflexivityEstimator.scoreDyn: vectors row 0, column 0 is NaN; every value must be a finite number');
  e = failure(() => est.scoreDyn([obs('a', 1, [1, 'x'])]));
  assert.is(e.message, 'ReflexivityEstimator: observation a /payload/1 is "x"; must be a finite number');
  e = failure(() => est.scoreDyn([obs('a', 1, 42, 'text')]));
  assert.is(e.message, 'ReflexivityEstimator: observation a /payload of a text observation must be a string');
  e = failure(() => est.scoreText([obs('a', 1, 42, 'text')]));
  assert.is(e.location?.path, '/payload');
  e = failure(() => est.scoreDyn('x' as unknown as Observation[], [[1]]));
  assert.is(e.message, 'ReflexivityEstimator.scoreDyn: observations must be an array');
  e = failure(() => new ReflexivityEstimator({ ...config, beta_text: -0.1 }));
  assert.is(e.message, 'ReflexivityEstimator: metrics.reflexivity.beta_text = -0.1 must be a finite number ≥ 0');
  e = failure(() => new ReflexivityEstimator({ ...config, beta_text: 0, beta_dyn: 0 }));
  assert.is(e.message, 'ReflexivityEstimator: metrics.reflexivity has beta_text, beta_dyn all 0; at least one must be > 0');
  e = failure(() => new ReflexivityEstimator({ ...config, text_half_saturation: 0 }));
  assert.is(e.location?.path, 'metrics.reflexivity.text_half_saturation');
  e = failure(() => new ReflexivityEstimator({ ...config, dyn_window: 0.5 }));
  assert.is(e.location?.path, 'metrics.reflexivity.dyn_window');
});

test('version and regression set', () => {
  const est = new ReflexivityEstimator(config);
  assert.is(est.version, metricVersion('reflexivity', 1, config));
  assert.is.not(new ReflexivityEstimator({ ...config, lexicon: { self: ['мы'] } }).version, est.version);
  const out = [1, 2, 3, 4].map((seed) => est.scoreDetailed(corpus(seed * 10, 8 + seed * 5, `p${seed}`)));
  matchesRegression('reflexivity', out);
});

test.run();
