/**
 * The qmpt-score operator through the engine's test driver: warmup, scores
 * and their cross-checks with the library's batch forms, refits, invalid
 * records, checkpoint and restore mid-stream, the worker pool, determinism.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../../engine/errors.ts';
import { TopologyTestDriver, type TestRecord } from '../../../engine/test-driver.ts';
import { qmptScoreOperator, type QmptInvalid, type QmptScore } from '../../../operators/qmpt/score.ts';
import type { ModelState, PatternState, ReservoirState } from '../../../operators/qmpt/score-state.ts';
import { generateObservations } from '../../../qmpt/data/synthetic.ts';
import { patternFeatures } from '../../../qmpt/features/pattern-features.ts';
import { featureSpecFromState } from '../../../qmpt/features/registry.ts';
import { AnomalyEstimator } from '../../../qmpt/metrics/anomaly.ts';
import { ReflexivityEstimator } from '../../../qmpt/metrics/reflexivity.ts';
import { loadConfig, parseConfig } from '../../../qmpt/config/loader.ts';
import { matrix } from '../../../qmpt/matrix.ts';
import type { Observation } from '../../../qmpt/types.ts';
import { schemas } from '../../streams/connectors/helpers.ts';
import { parseTopology } from '../../../topologies/validate.ts';
import { matchesRegression } from '../../support/regression.ts';

/** Small models, so that every fit takes milliseconds. */
const CONFIG = {
  features: { embedding_dims: 4 },
  metrics: { anomaly: { gmm: { components: { min: 1, max: 2 } }, isolation: { trees: 50, sample_size: 64 } } },
};
const WARMUP = 128;
const CONFIG_LOADED = parseConfig(CONFIG, 'test config');
const REFIT = 150;
const { observations: STREAM } = generateObservations({ seed: 7, patterns: 80, anomalous: 4, reflexive: 10 });

type Params = Record<string, unknown>;
const params = (over: Params = {}): Params => ({ config: CONFIG, warmup: WARMUP, refit_every: REFIT, reservoir: 200, ...over });
const driver = (over: Params = {}, restore?: Uint8Array): Promise<TopologyTestDriver> =>
  TopologyTestDriver.create([{ id: 'score', type: 'qmpt-score', input: 'in', params: params(over) }], restore);
const records = (values: readonly unknown[]): TestRecord[] =>
  values.map((v) => ({ value: v, timestamp: typeof (v as Observation)?.timestamp === 'number' ? (v as Observation).timestamp * 1000 : 0 }));

/** Watermarks only ever grow, also across a snapshot and the driver restored from it. */
let clock = 0;

/** Pushes `values` in batches and waits until the operator has finished each (its process is asynchronous once fitted). */
async function feed(d: TopologyTestDriver, values: readonly unknown[], batch = 50): Promise<void> {
  for (let i = 0; i < values.length; i += batch) {
    const wm = ++clock;
    d.push('in', records(values.slice(i, i + batch)), wm);
    await until(() => d.emittedWatermarks('score').at(-1) === wm, `batch at ${i} processed`);
  }
}

async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const scores = (d: TopologyTestDriver): QmptScore[] => d.output('score').map((r) => r.value as QmptScore);
const invalid = (d: TopologyTestDriver): QmptInvalid[] => d.output('score.invalid').map((r) => r.value as QmptInvalid);
const model = (d: TopologyTestDriver): ModelState => d.state.store<'model', ModelState>('score', 'model').get('model')!;

async function run(over: Params = {}, values: readonly unknown[] = STREAM): Promise<TopologyTestDriver> {
  const d = await driver(over);
  await feed(d, values);
  return d;
}

test('warmup: nothing before the warmup-th observation, then the waiting ones scored in arrival order, keyed by pattern at their event time', async () => {
  const d = await driver();
  await feed(d, STREAM.slice(0, WARMUP - 1));
  assert.is(d.output('score').length, 0);
  assert.is(d.state.store('score', 'waiting').size, WARMUP - 1);
  assert.is(model(d).model_version, 0);
  await feed(d, STREAM.slice(WARMUP - 1, WARMUP + 20));
  const out = d.output('score');
  assert.is(out.length, WARMUP + 20);
  assert.equal(out.map((r) => (r.value as QmptScore).obs_id), STREAM.slice(0, WARMUP + 20).map((o) => o.obs_id));
  assert.equal(out.map((r) => [r.key, r.timestamp]), STREAM.slice(0, WARMUP + 20).map((o) => [o.pattern_id, o.timestamp * 1000]));
  assert.is(d.state.store('score', 'waiting').size, 0, 'the waiting list is emptied by the fit');
  const first = out[0]!.value as QmptScore;
  const o = STREAM[0]!;
  assert.equal(
    { obs_id: first.obs_id, pattern_id: first.pattern_id, layer_id: first.layer_id, timestamp: first.timestamp, modality: first.modality, model_version: first.model_version },
    { obs_id: o.obs_id, pattern_id: o.pattern_id, layer_id: o.layer_id, timestamp: o.timestamp, modality: 'text', model_version: 1 },
  );
  assert.match(first.feature_spec_version, /^text_v1#[0-9a-f]{8}$/);
  assert.match(first.anomaly_version, /^anomaly\.v1#[0-9a-f]{8}$/);
  assert.match(first.reflexivity_version, /^reflexivity\.v1#[0-9a-f]{8}$/);
  for (const s of scores(d)) {
    for (const k of ['anomaly', 'rarity', 'distance', 'isolation'] as const) assert.ok(s[k] >= 0 && s[k] <= 1, `${s.obs_id} ${k} = ${s[k]}`);
    assert.ok(s.pattern_anomaly !== null && s.pattern_anomaly >= 0 && s.pattern_anomaly <= 1, `${s.obs_id} pattern_anomaly = ${s.pattern_anomaly}`);
  }
});

test('the scores agree with the library: Â of the row, Â of the pattern mean under the pattern reference, R̂_norm as the batch form over the pattern', async () => {
  const d = await run({ refit_every: 0 });
  const out = scores(d);
  assert.is(out.length, STREAM.length);
  const m = model(d);
  const spec = featureSpecFromState(m.spec!);
  const estimator = AnomalyEstimator.fromState(m.anomaly!);
  const X = await spec.transform(STREAM);
  const rows = estimator.batchScore(X);
  out.forEach((s, i) => {
    assert.equal([s.anomaly, s.rarity, s.distance, s.isolation], [rows.anomaly[i], rows.rarity[i], rows.distance[i], rows.isolation[i]], s.obs_id);
  });
  // the pattern reference: fitted on the warmup set's patterns' mean rows, in pattern_id order
  const warmupMeans = patternFeatures(STREAM.slice(0, WARMUP), matrix(WARMUP, X.cols, X.data.slice(0, WARMUP * X.cols)));
  const ids = [...warmupMeans.keys()].sort();
  const reference = matrix(ids.length, X.cols);
  ids.forEach((id, i) => reference.data.set(warmupMeans.get(id)!, i * X.cols));
  const anomaly = CONFIG_LOADED.metrics.anomaly;
  const patternEstimator = await AnomalyEstimator.fit(reference, { ...anomaly, gmm: { ...anomaly.gmm, components: { min: 1, max: Math.min(2, ids.length) } } });
  assert.equal(AnomalyEstimator.fromState(m.pattern_anomaly!).toState(), patternEstimator.toState(), 'the pattern reference of the warmup set');
  // a pattern's last score: Â(x_Ψ) of the mean of all its rows, R̂_norm of all its observations (feature rows as vectors)
  const means = patternFeatures(STREAM, X);
  const reflexivity = new ReflexivityEstimator(loadConfig('metrics_default').metrics.reflexivity);
  const last = new Map(out.map((s) => [s.pattern_id, s]));
  for (const [id, s] of last) {
    assert.is(s.pattern_anomaly, patternEstimator.score(means.get(id)!).anomaly, `${id} pattern_anomaly`);
    const members = STREAM.map((o, i) => [o, i] as const).filter(([o]) => o.pattern_id === id);
    const r = reflexivity.scoreDetailed(members.map(([o]) => o), members.map(([, i]) => X.data.subarray(i * X.cols, (i + 1) * X.cols)));
    assert.equal([s.reflexivity, s.r_text, s.r_dyn, s.degraded], [r.value, r.r_text, r.r_dyn, r.degraded], `${id} reflexivity`);
  }
  // a pattern's first observation: x_Ψ is its row, and r_dyn is undefined (degraded)
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.pattern_id)) continue;
    seen.add(s.pattern_id);
    assert.is(s.pattern_anomaly, patternEstimator.score(X.data.subarray(STREAM.findIndex((o) => o.obs_id === s.obs_id) * X.cols).subarray(0, X.cols)).anomaly, `${s.obs_id}: the mean of one row is the row`);
    assert.is(s.r_dyn, null);
    assert.ok(s.degraded);
  }
  assert.is(d.state.store<string, PatternState>('score', 'patterns').size, last.size);
});

/** P(a random planted score > a random ordinary one), ties half. */
function auc(planted: number[], ordinary: number[]): number {
  let wins = 0;
  for (const a of planted) for (const b of ordinary) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return wins / (planted.length * ordinary.length);
}

test('planted anomalies (generateObservations) get higher Â than ordinary observations, and their patterns higher pattern Â', async () => {
  const out = scores(await run());
  const isPlanted = (s: QmptScore): boolean => s.pattern_id.startsWith('anom-');
  const planted = out.filter(isPlanted);
  const ordinary = out.filter((s) => !isPlanted(s));
  assert.ok(planted.length >= 12, `${planted.length} planted observations`);
  const a = auc(planted.map((s) => s.anomaly), ordinary.map((s) => s.anomaly));
  assert.ok(a > 0.95, `observation AUC ${a}`);
  const sorted = ordinary.map((s) => s.anomaly).sort((x, y) => x - y);
  assert.ok(Math.min(...planted.map((s) => s.anomaly)) > sorted[Math.floor(sorted.length * 0.8)]!, 'every planted observation above 80 % of the ordinary ones');
  // a pattern's last record holds Â(x_Ψ) over all its observations: the planted patterns rank high (x_Ψ of an
  // ordinary pattern may still sit between the observation clusters: Â(x_Ψ) is noisier than the observations')
  const last = [...new Map(out.map((s) => [s.pattern_id, s])).values()];
  const p = auc(last.filter(isPlanted).map((s) => s.pattern_anomaly!), last.filter((s) => !isPlanted(s)).map((s) => s.pattern_anomaly!));
  assert.ok(p > 0.9, `pattern AUC ${p}`);
});

test('refits: model_version 1 for the warmup set and the next refit_every observations, then +1 every refit_every; the reservoir is full', async () => {
  const d = await run();
  const out = scores(d);
  out.forEach((s, i) => assert.is(s.model_version, i < WARMUP ? 1 : 1 + Math.floor((i - WARMUP) / REFIT), `observation ${i}`));
  const fits = 1 + Math.floor((STREAM.length - WARMUP) / REFIT);
  assert.is(model(d).model_version, fits);
  assert.is(d.metrics.total('qmpt_model_fits'), fits);
  assert.ok(fits >= 4);
  const reservoir = d.state.store<'rows', ReservoirState>('score', 'reservoir').get('rows')!;
  assert.equal([reservoir.filled, reservoir.capacity, model(d).seen], [200, 200, STREAM.length]);
  // the anomaly version names the formula and config, not the fit: it stays
  assert.is(new Set(out.map((s) => s.anomaly_version)).size, 1);
});

test('batch boundaries do not matter: batches of 1, 7 and 500 give the same records', async () => {
  const expected = scores(await run());
  for (const batch of [1, 7, 500]) {
    const d = await driver();
    await feed(d, STREAM, batch);
    assert.equal(scores(d), expected, `batches of ${batch}`);
  }
});

const BAD: { record: unknown; field: RegExp }[] = [
  { record: { ...STREAM[3], timestamp: 'soon' }, field: /observation "[^"]+" \/timestamp: must be number/ },
  { record: { ...STREAM[10], extra: 1 }, field: /unknown field "extra"/ },
  { record: { ...STREAM[20], payload: [1, 2] }, field: /\/payload: a "text" observation needs a string as payload, got an array/ },
  { record: { ...STREAM[30], obs_id: 'behaviour-1', modality: 'behavior', payload: [1, 2, 3, 4] }, field: /observation "behaviour-1" \/modality: "behavior" cannot be scored/ },
  { record: { obs_id: 'x-1', timestamp: 1, modality: 'text', payload: 'hi' }, field: /missing required field "pattern_id"/ },
  { record: 42, field: /qmpt-score "score": record \/: / },
];

test('invalid records go to port invalid with the field named; the others are scored as if they were not there', async () => {
  const expected = scores(await run());
  const mixed: unknown[] = [...STREAM];
  // before and after the first fit
  BAD.forEach((b, i) => mixed.splice(i < 3 ? 40 + 20 * i : 300 + 40 * i, 0, b.record));
  const d = await run({}, mixed);
  assert.equal(scores(d), expected);
  const bad = invalid(d);
  assert.is(bad.length, BAD.length);
  assert.is(d.metrics.total('qmpt_invalid'), BAD.length);
  for (const b of BAD) {
    const hit = bad.find((x) => b.field.test(x.error));
    assert.ok(hit, `an error matching ${b.field}; got ${bad.map((x) => x.error).join(' | ')}`);
  }
  assert.equal(bad.find((x) => /\/modality/.test(x.error))!.record, { ...STREAM[30]!, obs_id: 'behaviour-1', modality: 'behavior', payload: [1, 2, 3, 4] });
});

test('a late or repeated observation of a pattern goes to invalid (naming /timestamp or /obs_id); its pattern state is untouched', async () => {
  const expected = scores(await run());
  const at = 400;
  const before = STREAM.slice(0, at).filter((o) => o.pattern_id === STREAM[at]!.pattern_id);
  assert.ok(before.length > 0);
  const earlier = before.at(-1)!;
  const late = { ...earlier, obs_id: 'late-1', timestamp: earlier.timestamp - 1 };
  const d = await run({}, [...STREAM.slice(0, at), late, earlier, ...STREAM.slice(at)]);
  assert.equal(scores(d), expected);
  const errors = invalid(d).map((x) => x.error);
  assert.is(errors.length, 2);
  assert.match(errors[0]!, `observation "late-1" /timestamp: ${late.timestamp} sorts before observation "${earlier.obs_id}"`);
  assert.match(errors[1]!, `observation "${earlier.obs_id}" /obs_id: "${earlier.obs_id}" at timestamp ${earlier.timestamp} repeats the last observation of pattern`);
});

test('checkpoint and restore mid-stream (before the fit, between refits, mid-refit period) give the records of an uninterrupted run', async () => {
  const expected = scores(await run());
  for (const cut of [60, WARMUP + 50, 420]) {
    const first = await driver();
    await feed(first, STREAM.slice(0, cut));
    const second = await driver({}, first.snapshot());
    await feed(second, STREAM.slice(cut));
    assert.equal([...scores(first), ...scores(second)], expected, `cut at ${cut}`);
    assert.is(model(second).model_version, 1 + Math.floor((STREAM.length - WARMUP) / REFIT));
  }
});

test('threads 2 (the QMPT worker pool) gives === the records of the main thread, across refits and a restore', async () => {
  const expected = scores(await run());
  const pooled = await driver({ threads: 2 });
  await feed(pooled, STREAM.slice(0, 300), 100);
  const restored = await driver({ threads: 2 }, pooled.snapshot());
  await feed(restored, STREAM.slice(300), 100);
  assert.equal([...scores(pooled), ...scores(restored)], expected);
});

test('deterministic: two runs agree, and the records match the fixed-seed regression set', async () => {
  const a = scores(await run());
  const b = scores(await run());
  assert.equal(a, b);
  matchesRegression('stream-score', a.filter((_, i) => i % 25 === 0));
});

test('a bounded input that ends before the warmup: the waiting observations go to invalid saying so; nothing is scored', async () => {
  const d = await driver();
  await feed(d, STREAM.slice(0, 10));
  d.end();
  const bad = invalid(d);
  assert.is(bad.length, 10);
  assert.match(bad[0]!.error, `observation "${STREAM[0]!.obs_id}": the input ended after 10 valid observations, before the ${WARMUP} the first fit waits for (params.warmup); not scored`);
  assert.equal(bad.map((x) => (x.record as Observation).obs_id), STREAM.slice(0, 10).map((o) => o.obs_id));
  assert.is(d.state.store('score', 'waiting').size, 0);
});

test('bad params fail validation naming the field: the schema, and a config with a bad value (file, path)', () => {
  const topology = (p: string): string =>
    `name: t\nsources: [{ id: in, type: log, params: { topic: t }, format: json }]\noperators: [{ id: score, type: qmpt-score, input: in, params: ${p} }]\nsinks: [{ id: out, type: blackhole, input: score }]\n`;
  const fails = (p: string, pattern: RegExp): void => {
    try {
      parseTopology('t.yaml', topology(p), schemas);
      assert.unreachable(`params ${p} should fail`);
    } catch (err) {
      assert.instance(err, ValidationErrors);
      assert.match((err as ValidationErrors).message, pattern);
    }
  };
  fails('{ warmup: 1 }', /warmup/);
  fails('{ threads: -1 }', /threads/);
  fails('{ refit_every: 2.5 }', /refit_every/);
  fails('{ window: 3 }', /window/);
  fails('{ config: { metrics: { anomaly: { w1: -1 } } } }', /\/metrics\/anomaly\/w1/);
  fails('{ config: no_such_config }', /no shipped QMPT config named "no_such_config"/);
  assert.equal(qmptScoreOperator.check({}), [], 'the default config is fine');
  assert.equal(qmptScoreOperator.ports({}), ['out', 'invalid']);
  parseTopology('t.yaml', topology('{ config: metrics_default, warmup: 64, threads: 0 }'), schemas);
});

test.run();
