/** QMPT configs: the shipped files load, partial files merge over the defaults, every error carries file:line and the path. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../../engine/errors.ts';
import { DEFAULT_CONFIG, loadConfig, parseConfig, parseConfigText, resolveConfigPath } from '../../../qmpt/config/loader.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-qmpt-config-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The formatted errors of a failing call (ValidationErrors), one string each. */
function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ValidationErrors, String(err));
    return (err as ValidationErrors).errors.map((e) => e.format());
  }
  assert.unreachable('expected ValidationErrors');
  return [];
}

const clone = <T>(v: T): T => structuredClone(v);

test('each shipped example config loads, by name or path, and holds the defaults', () => {
  for (const name of ['features_text', 'metrics_default', 'simulation_default']) {
    assert.equal(loadConfig(name), DEFAULT_CONFIG, name);
    assert.equal(loadConfig(`config/${name}.yaml`), DEFAULT_CONFIG, name);
    assert.equal(loadConfig(`${name}.yaml`), DEFAULT_CONFIG, name);
  }
  const text = fs.readFileSync(resolveConfigPath('metrics_default'), 'utf8');
  assert.ok(/^metrics:$/m.test(text) && !/^(features|simulation):/m.test(text), 'metrics_default holds the metrics section only');
  assert.equal(errorsOf(() => loadConfig('metrics_nope')), [`no shipped QMPT config named "metrics_nope" (shipped: features_text, metrics_default, simulation_default; or give a path) [CONFIG]`]);
});

test('the defaults are frozen and loads return copies', () => {
  assert.throws(() => {
    (DEFAULT_CONFIG.metrics.anomaly as { w1: number }).w1 = 3;
  });
  const a = loadConfig('metrics_default');
  a.metrics.anomaly.w1 = 3;
  assert.is(loadConfig('metrics_default').metrics.anomaly.w1, 1);
});

test('a partial file merges over the defaults: objects key by key, arrays replaced, null removes an optional part', () => {
  const file = write(
    'partial.yaml',
    `metrics:
  anomaly:
    w2: 0
    gmm: { components: { max: 4 } }
simulation:
  params: { extra_knob: 2 }
  interventions:
    - { t: 1, kind: change_protection, value: -0.2 }
features:
  model: null
`,
  );
  const c = loadConfig(file);
  const expected = clone(DEFAULT_CONFIG);
  expected.metrics.anomaly.w2 = 0;
  expected.metrics.anomaly.gmm.components.max = 4;
  expected.simulation.params.extra_knob = 2;
  expected.simulation.interventions = [{ t: 1, kind: 'change_protection', value: -0.2 }];
  delete expected.features.model;
  assert.equal(c, expected);
  // chaining: a file over another file's result
  const chained = loadConfig(write('more.json', '{ "metrics": { "anomaly": { "w3": 2 } } }'), { base: c });
  assert.is(chained.metrics.anomaly.w2, 0);
  assert.is(chained.metrics.anomaly.w3, 2);
  // a scenario kind alone brings its own anomalous count, not the default's 1
  assert.equal(loadConfig(write('s.yaml', 'simulation: { scenario: { kind: baseline } }')).simulation.scenario, { kind: 'baseline', patterns: 20, anomalous: 0, seed: 11 });
  assert.is(loadConfig(write('m.yaml', 'simulation: { scenario: { kind: multiple_anomalies } }')).simulation.scenario!.anomalous, 3);
  assert.equal(loadConfig(write('lex.yaml', 'metrics: { reflexivity: { lexicon: { self: [Moi, Я] } } }')).metrics.reflexivity.lexicon, { self: ['moi', 'я'] });
});

test('errors carry file:line and the path', () => {
  const f = write('bad-type.yaml', 'metrics:\n  anomaly:\n    w1: heavy\n');
  assert.equal(errorsOf(() => loadConfig(f)), [`${f}:3:5 /metrics/anomaly/w1: wrong type: expected number, got string "heavy" [CONFIG]`]);
  const g = write('bad-range.yaml', 'metrics:\n  anomaly:\n    w1: 1\n    w3: -0.5\n    threshold: 1.5\n');
  assert.equal(errorsOf(() => loadConfig(g)), [`${g}:4:5 /metrics/anomaly/w3: must be >= 0 [CONFIG]`, `${g}:5:5 /metrics/anomaly/threshold: must be <= 1 [CONFIG]`]);
  const h = write('zero.yaml', 'metrics:\n  self_operator: { alpha_pop: 0, alpha_self: 0, alpha_meta: 0, alpha_R: 0 }\n  anomaly:\n    w1: 0\n    w2: 0\n    w3: 0\n');
  assert.equal(errorsOf(() => loadConfig(h)), [
    `${h}:3:3 /metrics/anomaly: weights w1, w2, w3 are all 0: at least one must be > 0 [CONFIG]`,
    `${h}:2:3 /metrics/self_operator: weights alpha_pop, alpha_self, alpha_meta, alpha_R are all 0: at least one must be > 0 [CONFIG]`,
  ]);
  const u = write('unknown.yaml', 'metrics:\n  anomaly:\n    w4: 1\nplots: {}\n');
  assert.equal(errorsOf(() => loadConfig(u)).sort(), [`${u}:3:5 /metrics/anomaly/w4: unknown field "w4" [CONFIG]`, `${u}:4:1 /plots: unknown field "plots" [CONFIG]`]);
  const i = write(
    'interventions.yaml',
    `simulation:
  interventions:
    - { t: 5, kind: set_protection, value: 1.2 }
    - { t: 6, kind: remove_pattern }
    - { t: 7, kind: add_pattern, pattern: { pattern_id: x, anomaly_score: 0.9 } }
    - { t: 8, kind: stress_shock, value: 0.1, pattern_id: y }
    - { t: 9, kind: explode }
    - { t: 99, kind: stress_shock, value: 0.1 }
`,
  );
  assert.equal(errorsOf(() => loadConfig(i)), [
    `${i}:3:37 /simulation/interventions/0/value: must be <= 1 [CONFIG]`,
    `${i}:4:7 /simulation/interventions/1/pattern_id: missing required field "pattern_id" [CONFIG]`,
    `${i}:5:34 /simulation/interventions/2/pattern/reflexivity: missing required field "reflexivity" [CONFIG]`,
    `${i}:6:47 /simulation/interventions/3/pattern_id: unknown field "pattern_id" [CONFIG]`,
    `${i}:7:15 /simulation/interventions/4/kind: must be one of: "add_pattern", "remove_pattern", "set_protection", "change_protection", "stress_shock" [CONFIG]`,
  ]);
  assert.equal(errorsOf(() => loadConfig(write('late.yaml', 'simulation:\n  interventions:\n    - { t: 99, kind: stress_shock, value: 0.1 }\n'))).map((e) => e.replace(dir, '')), [
    `/late.yaml:3:9 /simulation/interventions/0/t: t 99 is after t_end 60: the intervention would never take effect [CONFIG]`,
  ]);
});

test('rules beyond the schema: ranges, orders and counts, each at its path', () => {
  const cases: [string, string][] = [
    ['metrics: { anomaly: { gmm: { components: { min: 5, max: 4 } } } }', '/metrics/anomaly/gmm/components/min: min 5 is above max 4'],
    ['metrics: { anomaly: { gmm: { components: { max: 33 } } } }', '/metrics/anomaly/gmm/components/max: must be <= 32'],
    ['metrics: { anomaly: { gmm: { tol: 0 } } }', '/metrics/anomaly/gmm/tol: must be > 0'],
    ['metrics: { anomaly: { gmm: { max_iter: 0 } } }', '/metrics/anomaly/gmm/max_iter: must be >= 1'],
    ['metrics: { anomaly: { gmm: { n_init: 1.5 } } }', '/metrics/anomaly/gmm/n_init: wrong type: expected integer, got number 1.5'],
    ['metrics: { anomaly: { gmm: { reg_covar: -1 } } }', '/metrics/anomaly/gmm/reg_covar: must be >= 0'],
    ['metrics: { anomaly: { kde: { bandwidth: wide } } }', '/metrics/anomaly/kde/bandwidth: must be one of: "scott", "silverman"'],
    ['metrics: { anomaly: { kde: { bandwidth: 0 } } }', '/metrics/anomaly/kde/bandwidth: must be > 0'],
    ['metrics: { anomaly: { knn_k: 0, isolation: { sample_size: 1 } } }', '/metrics/anomaly/knn_k: must be >= 1'],
    ['metrics: { anomaly: { isolation: { trees: 0 } } }', '/metrics/anomaly/isolation/trees: must be >= 1'],
    ['metrics: { anomaly: { w1: .nan } }', '/metrics/anomaly/w1: must be a finite number, got NaN'],
    ['metrics: { reflexivity: { beta_text: 0, beta_dyn: 0 } }', '/metrics/reflexivity: weights beta_text, beta_dyn are all 0'],
    ['metrics: { layer: { strained: 0.8 } }', '/metrics/layer/strained: strained 0.8 is above critical 0.7'],
    ['simulation: { dt: 0.00001, t_end: 100 }', '/simulation/dt: t_end / dt = 10000000 steps is more than 1000000'],
    ['simulation: { dt: 0 }', '/simulation/dt: must be > 0'],
    ['simulation: { params: { k_load: fast } }', '/simulation/params/k_load: wrong type: expected number'],
    ['simulation: { params: { k_load: .inf } }', '/simulation/params/k_load: must be a finite number, got Infinity'],
    ['simulation: { scenario: { patterns: 3, anomalous: 5, kind: multiple_anomalies } }', '/simulation/scenario/anomalous: 5 anomalous patterns of 3'],
    ['simulation: { scenario: { kind: single_anomaly, anomalous: 2 } }', '/simulation/scenario/anomalous: a single_anomaly scenario has 1 anomalous pattern(s), not 2'],
    ['features: { kind: multimodal }', '/features/kind: a multimodal spec needs modalities'],
    ['features: { kind: multimodal, modalities: { text: { kind: text, weight: 0 } } }', '/features/modalities: weights text are all 0'],
    ['features: { statistics: false, model: null }', '/features/statistics: a text spec with neither statistics nor a model has no columns'],
  ];
  for (const [text, expected] of cases) {
    const errors = errorsOf(() => parseConfigText('c.yaml', text));
    assert.ok(errors.some((e) => e.startsWith('c.yaml:1:') && e.includes(expected)), `${text}\n  gave ${errors.join('\n  ')}\n  wanted ${expected}`);
  }
});

test('parseConfig takes objects: errors name where and the path; a YAML syntax error names its line', () => {
  assert.equal(parseConfig({ metrics: { anomaly: { threshold: 0.9 } } }, 'POST /v1/qmpt').metrics.anomaly.threshold, 0.9);
  assert.equal(errorsOf(() => parseConfig({ metrics: { anomaly: { threshold: 'high' } } }, 'POST /v1/qmpt')), ['POST /v1/qmpt /metrics/anomaly/threshold: wrong type: expected number, got string "high" [CONFIG]']);
  assert.equal(errorsOf(() => parseConfig([1], 'cli')), ['cli /: wrong type: expected object, got array [1] [CONFIG]']);
  const errors = errorsOf(() => parseConfigText('x.yaml', 'metrics:\n  anomaly: [\n'));
  assert.ok(errors.length === 1 && errors[0]!.startsWith('x.yaml:'), errors.join('\n'));
  assert.ok(errorsOf(() => loadConfig(write('t.txt', 'x: 1')))[0]!.includes('not ".txt"'));
});

test.run();
