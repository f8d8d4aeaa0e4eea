/** DegradationMonitor: each rule kind fires after exactly its windows, against the right reference, once per version; the rules file's errors. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DegradationAlert } from '../../../control/types.ts';
import { ValidationErrors } from '../../../engine/errors.ts';
import { DegradationMonitor } from '../../../operators/control/degradation-monitor.ts';
import { degradationRules, loadDegradationRules } from '../../../operators/control/degradation-rules.ts';
import type { SensorRow } from '../../../operators/sensor/sensor.ts';
import { SplitMix32 } from '../../../streams/nexmark/prng.ts';
import { row } from '../../support/sensor-rows.ts';

/** Rows in time order: each call continues the clock. */
class Runs {
  private i = 0;
  add(version: string, n: number, o: (k: number) => Partial<SensorRow> = () => ({})): SensorRow[] {
    return Array.from({ length: n }, (_, k) => row(this.i++, version, o(k)));
  }
}

/** A question run whose retrieved facts give precision p (1, 0.5 or 0). */
const precision = (p: 1 | 0.5 | 0): Partial<SensorRow> => ({ golden_fact_keys: ['pet'], golden_answer: 'Rex', answer: 'Rex.', memories_retrieved: 2, retrieved_fact_keys: p === 1 ? ['pet'] : p === 0.5 ? ['pet', 'city'] : ['city'] });
/** A judged question run with the given outcome. */
const answered = (outcome: 'correct' | 'wrong' | 'unknown'): Partial<SensorRow> => ({
  golden_fact_keys: ['pet'],
  golden_answer: 'Rex',
  answer: outcome === 'correct' ? 'Your dog is Rex.' : outcome === 'wrong' ? 'It is Max.' : "I don't know.",
  memories_retrieved: 1,
  retrieved_fact_keys: ['pet'],
});
const failed: Partial<SensorRow> = { status: 'FAILED', error: 'maas.respond: timeout', answer: null };

/** Every alert with the index of the row that raised it. */
function feed(m: DegradationMonitor, rows: readonly SensorRow[]): { at: number; alert: DegradationAlert }[] {
  const out: { at: number; alert: DegradationAlert }[] = [];
  rows.forEach((r, at) => {
    for (const alert of m.push(r)) out.push({ at, alert });
  });
  return out;
}

test('above: fires on the row that closes the N-th consecutive window, not before; a healthy version never', () => {
  const rules = degradationRules({ window_runs: 10, min_values: 5, rules: [{ id: 'errors', kind: 'above', metric: 'error_rate', threshold: 0.05, windows: 3 }] });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  assert.equal(feed(m, runs.add('A', 200)), [], 'healthy: no alert');
  const bad = runs.add('B', 40, (k) => (k % 10 < 2 ? failed : {}));
  const alerts = feed(m, bad);
  assert.equal(alerts.map((a) => a.at), [29], 'the end of the third window of B');
  assert.equal(alerts[0]!.alert, {
    rule: 'errors',
    metric: 'error_rate',
    version: 'B',
    reference_version: null,
    observed: 0.2,
    threshold: 0.05,
    windows: 3,
    reason: 'rule errors: error_rate 0.200 of B is above 0.05 for 3 windows of 10 runs',
    at: bad[29]!.ended_at,
  });
  // a healthy window breaks the streak: bad, bad, good, bad, bad, bad fires at the sixth
  const c = runs.add('C', 60, (k) => (Math.floor(k / 10) !== 2 && k % 10 === 0 ? failed : {}));
  assert.equal(feed(m, c).map((a) => [a.at, a.alert.version, a.alert.windows]), [[59, 'C', 3]]);
});

test('below: windows with too few values in the population are not judged (the streak neither grows nor breaks)', () => {
  const rules = degradationRules({ window_runs: 10, min_values: 5, rules: [{ id: 'precision-low', kind: 'below', metric: 'precision_at_k', threshold: 0.3, windows: 2 }] });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  assert.equal(feed(m, runs.add('A', 50, (k) => (k % 2 === 0 ? precision(0.5) : {}))), [], 'precision 0.5: healthy');
  const rows = [
    ...runs.add('B', 10, (k) => (k < 6 ? precision(0) : {})), // judged: 0 < 0.3
    ...runs.add('B', 10, (k) => (k < 3 ? precision(0) : {})), // 3 values < min_values: not judged
    ...runs.add('B', 10, (k) => (k < 5 ? precision(0.5) : k < 9 ? precision(0) : {})), // 2.5/9 = 0.278: held, the second
  ];
  const alerts = feed(m, rows);
  assert.equal(alerts.map((a) => a.at), [29]);
  assert.is(alerts[0]!.alert.reason, 'rule precision-low: precision_at_k 0.278 of B is below 0.3 for 2 windows of 10 runs');
});

test('drop: against the previous version (the reference), after exactly N windows; the next version compares with that one', () => {
  const rules = degradationRules({ window_runs: 10, min_values: 5, reference_windows: 2, rules: [{ id: 'precision-drop', kind: 'drop', metric: 'precision_at_k', max_relative_change: 0.2, windows: 2 }] });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  // A: precision alternating 1 and 0.5 (0.75); only its last 2 windows are the reference
  assert.equal(feed(m, [...runs.add('A', 30, () => precision(0)), ...runs.add('A', 20, (k) => precision(k % 2 === 0 ? 1 : 0.5))]), [], 'no reference: drop is not judged');
  const b = runs.add('B', 30, () => precision(0.5));
  const alerts = feed(m, b);
  assert.equal(alerts.map((a) => a.at), [19]);
  assert.equal(alerts[0]!.alert, {
    rule: 'precision-drop',
    metric: 'precision_at_k',
    version: 'B',
    reference_version: 'A',
    observed: 0.5,
    threshold: 0.75 - 0.2 * 0.75,
    windows: 2,
    reason: "rule precision-drop: precision_at_k 0.500 of B is 33.3% below A's 0.750 (allowed 20.0%) for 2 windows of 10 runs",
    at: b[19]!.ended_at,
  });
  // C is as bad as B, but B is its reference: no drop; D falls below C by 50 %
  assert.equal(feed(m, runs.add('C', 40, () => precision(0.5))), []);
  const d = feed(m, runs.add('D', 20, (k) => precision(k % 2 === 0 ? 0.5 : 0)));
  assert.equal(d.map((a) => [a.at, a.alert.reference_version, a.alert.observed]), [[19, 'C', 0.25]]);
});

test('drop on a lower-is-better metric: a rise is worse, a fall is not; absolute amounts', () => {
  const rules = degradationRules({
    window_runs: 10,
    min_values: 5,
    rules: [
      { id: 'tokens', kind: 'drop', metric: 'tokens_per_run', max_relative_change: 0.5, windows: 1 },
      { id: 'latency', kind: 'drop', metric: 'latency_p95_ms', max_absolute_change: 100, windows: 2 },
    ],
  });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  const tokens = (t: number): Partial<SensorRow> => ({ prompt_tokens: t, completion_tokens: 0 });
  feed(m, runs.add('A', 20, () => tokens(100)));
  assert.equal(feed(m, runs.add('B', 20, () => tokens(50))), [], 'fewer tokens is better');
  const c = feed(m, runs.add('C', 20, (k) => ({ ...tokens(200), latency_ms: 250 + k })));
  assert.equal(c.map((a) => [a.at, a.alert.rule]), [[9, 'tokens']], 'latency +59 ms is within 100');
  assert.is(c[0]!.alert.reason, "rule tokens: tokens_per_run 200.0 of C is 300.0% above B's 50.0 (allowed 50.0%) for 1 window of 10 runs");
  const d = feed(m, runs.add('D', 20, () => ({ latency_ms: 400 })));
  assert.equal(d.map((a) => [a.at, a.alert.rule, a.alert.threshold]), [[19, 'latency', 268.05 + 100]]);
  assert.is(d[0]!.alert.reason, "rule latency: latency_p95_ms 400.0 of D is 131.9 above C's 268.1 (allowed 100.0) for 2 windows of 10 runs");
});

/** Judged runs whose answer is wrong with probability p (seeded), else correct. */
function hallucinating(runs: Runs, version: string, n: number, p: number, seed: number): SensorRow[] {
  const rng = new SplitMix32(seed);
  return runs.add(version, n, () => answered(rng.nextDouble() < p ? 'wrong' : 'correct'));
}

test('msprt_worse: fires on a clearly worse version (seeded), not on an A/A, not on a better one', () => {
  const rules = degradationRules({ window_runs: 25, min_values: 10, reference_windows: 8, rules: [{ id: 'hallucination', kind: 'msprt_worse', metric: 'hallucination_rate', alpha: 0.01, tau: 0.1 }] });
  const worse = new DegradationMonitor(rules);
  const runs = new Runs();
  assert.equal(feed(worse, hallucinating(runs, 'A', 200, 0.05, 1)), []);
  const alerts = feed(worse, hallucinating(runs, 'B', 500, 0.4, 2));
  assert.is(alerts.length, 1);
  const { at, alert } = alerts[0]!;
  assert.ok(at < 200 && (at + 1) % 25 === 0, `fired at the end of a window, within 8 windows (row ${at})`);
  assert.is(alert.reference_version, 'A');
  assert.ok(alert.observed > 0.25 && alert.threshold < 0.1, `${alert.observed} vs ${alert.threshold}`);
  assert.match(alert.reason, new RegExp(`^rule hallucination: hallucination_rate 0\\.\\d{3} of B is worse than A's 0\\.\\d{3} \\(mSPRT p = [0-9.e-]+ ≤ alpha 0\\.01, ${at + 1} vs 200 runs\\) after ${(at + 1) / 25} windows? of 25 runs$`));

  const aa = new DegradationMonitor(rules);
  const aaRuns = new Runs();
  feed(aa, hallucinating(aaRuns, 'A', 200, 0.1, 3));
  assert.equal(feed(aa, hallucinating(aaRuns, 'B', 1500, 0.1, 4)), [], 'A/A: the same rate');
  assert.equal(feed(aa, hallucinating(aaRuns, 'C', 500, 0, 5)), [], 'better than B: no alert');
});

test('each rule fires once per version; another version may fire again; state stays bounded', () => {
  const rules = degradationRules({
    window_runs: 10,
    min_values: 5,
    reference_windows: 3,
    rules: [
      { id: 'errors', kind: 'above', metric: 'error_rate', threshold: 0.05, windows: 1 },
      { id: 'errors-drop', kind: 'drop', metric: 'error_rate', max_absolute_change: 0.1, windows: 1 },
      { id: 'errors-worse', kind: 'msprt_worse', metric: 'error_rate', tau: 0.2, max_windows: 5 },
    ],
  });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  feed(m, runs.add('A', 30));
  const b = feed(m, runs.add('B', 300, (k) => (k % 2 === 0 ? failed : {})));
  assert.equal(b.map((a) => a.alert.rule).sort(), ['errors', 'errors-drop', 'errors-worse'], 'one alert per rule');
  assert.equal([...m.firedRules('B')].sort(), ['errors', 'errors-drop', 'errors-worse']);
  assert.ok(m.state.current!.recent.length <= 30, 'the last reference_windows windows only');
  // v0 fails every run: worse than B by every rule; each later one only breaks the absolute limit (its reference fails as often)
  assert.equal(feed(m, runs.add('v0', 10, () => failed)).map((a) => a.alert.rule), ['errors', 'errors-drop', 'errors-worse']);
  for (let v = 1; v < 70; v++) assert.equal(feed(m, runs.add(`v${v}`, 10, () => failed)).map((a) => a.alert.rule), ['errors'], `v${v}`);
  assert.is(m.state.fired.length, 64, 'fired rules of the last 64 versions');
  assert.ok(m.state.reference!.recent.length <= 30);
});

test('runs inside experiments are ignored; a straggler of the previous version joins its reference, not the windows', () => {
  const rules = degradationRules({ window_runs: 10, min_values: 5, rules: [{ id: 'errors', kind: 'above', metric: 'error_rate', threshold: 0.05, windows: 2 }] });
  const m = new DegradationMonitor(rules);
  const runs = new Runs();
  feed(m, runs.add('A', 20));
  const experiment = runs.add('X', 30, () => ({ ...failed, experiment_id: 'exp-1', variant: 'treatment' }));
  assert.equal(feed(m, experiment), []);
  assert.is(m.state.current!.version, 'A', 'experiment runs switch nothing');
  const b = runs.add('B', 20, (k) => (k === 0 ? failed : {}));
  // A's runs that started before B's first run finish among B's: stragglers
  const straggler = (k: number): SensorRow => ({ ...runs.add('A', 1, () => failed)[0]!, started_at: b[0]!.started_at! - 1000 - k });
  const mixed = [...b.slice(0, 5), straggler(0), straggler(1), ...b.slice(5, 15), straggler(2), ...b.slice(15)];
  const alerts = feed(m, mixed);
  assert.equal(alerts.map((a) => [a.alert.version, a.at]), [], 'B fails 1 run in 10 per window only: 0.1 then 0');
  assert.is(m.state.current!.runs, 20, 'B counted its own 20 runs');
  assert.is(m.state.reference!.version, 'A');
  assert.is(m.state.reference!.recent.length, 23, "A's 20 runs and its 3 stragglers");
  // a run of A that started after B's: a switch back (a rollback)
  feed(m, runs.add('A', 1));
  assert.equal([m.state.current!.version, m.state.reference!.version], ['A', 'B']);
});

test('deterministic, and a monitor restored from a copy of its state goes on exactly like the original', () => {
  const rules = degradationRules({
    window_runs: 20,
    min_values: 5,
    rules: [
      { id: 'wrong', kind: 'msprt_worse', metric: 'hallucination_rate', tau: 0.2 },
      { id: 'correct-drop', kind: 'drop', metric: 'correct_rate', max_absolute_change: 0.1, windows: 2 },
    ],
  });
  const runs = new Runs();
  const rows = [...hallucinating(runs, 'A', 100, 0.05, 7), ...hallucinating(runs, 'B', 300, 0.5, 8)];
  const whole = feed(new DegradationMonitor(rules), rows);
  assert.equal(whole.map((a) => a.alert.rule).sort(), ['correct-drop', 'wrong']);
  assert.equal(feed(new DegradationMonitor(rules), rows), whole);
  for (const cut of [1, 117, 150, 399]) {
    const first = new DegradationMonitor(rules);
    const before = feed(first, rows.slice(0, cut));
    const resumed = new DegradationMonitor(rules, { state: structuredClone(first.state) });
    const after = feed(resumed, rows.slice(cut)).map((a) => ({ ...a, at: a.at + cut }));
    assert.equal([...before, ...after], whole, `cut at ${cut}`);
  }
  // other rules: the windows start afresh, the fired rules stay
  const first = new DegradationMonitor(rules);
  feed(first, rows);
  const changed = new DegradationMonitor(degradationRules({ window_runs: 10, rules: [{ id: 'wrong', kind: 'msprt_worse', metric: 'hallucination_rate', tau: 0.2 }] }), { state: structuredClone(first.state) });
  assert.is(changed.state.current, null);
  assert.equal([...changed.firedRules('B')].sort(), ['correct-drop', 'wrong']);
});

test('a bad rules file: every problem with file:line and path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-degradation-'));
  try {
    const file = path.join(dir, 'rules.yaml');
    const write = (text: string): string[] => {
      fs.writeFileSync(file, text);
      try {
        loadDegradationRules(file);
        return [];
      } catch (err) {
        assert.instance(err, ValidationErrors);
        return (err as ValidationErrors).errors.map((e) => e.format());
      }
    };
    assert.equal(
      write(['window_runs: 20', 'rules:', '  - id: a', '    kind: above', '    metric: error_rate', '    threshold: high', '  - id: b', '    kind: drop', '    metric: precision', '    windows: 2', '    alpha: 0.1'].join('\n')),
      [
        `${file}:6:5 /rules/0/threshold: wrong type: expected number, got string "high" [CONFIG]`,
        `${file}:11:5 /rules/1/alpha: unknown field "alpha" [CONFIG]`,
        `${file}:9:5 /rules/1/metric: must be one of: "precision_at_k", "recall_at_k", "context_utilisation", "answer_rate", "hallucination_rate", "correct_rate", "latency_p50_ms", "latency_p95_ms", "tokens_per_run", "error_rate" [CONFIG]`,
      ],
    );
    assert.equal(
      write(['window_runs: 20', 'rules:', '  - { id: a, kind: above, metric: error_rate, threshold: 0.1 }', '  - { id: a, kind: drop, metric: recall_at_k }', '  - { id: p95, kind: msprt_worse, metric: latency_p95_ms, tau: 100 }', '  - { id: few, kind: below, metric: recall_at_k, threshold: 0.5, min_values: 30 }'].join('\n')),
      [
        `${file}:4:7 /rules/1/id: rule id "a" is already used [CONFIG]`,
        `${file}:4:5 /rules/1: a drop rule needs exactly one of max_relative_change and max_absolute_change [CONFIG]`,
        `${file}:5:35 /rules/2/metric: msprt_worse tests means; latency_p95_ms is a p95 (use above or drop) [CONFIG]`,
        `${file}:6:66 /rules/3/min_values: min_values 30 exceeds window_runs 20: no window could be judged [CONFIG]`,
      ],
    );
    assert.match(write('rules: [ {')[0]!, new RegExp(`^${file.replace(/[.]/g, '\\.')}:1:\\d+: `));
    assert.match(write('rules: []\nwindow_runs: 1\n')[0]!, `${file}:2:1 /window_runs: must be >= 2 [CONFIG]`);
    fs.rmSync(file);
    assert.throws(() => loadDegradationRules(file), (err: Error) => err.message.startsWith(`${file}: cannot read degradation rules: ENOENT`));
    assert.equal(loadDegradationRules('config/degradation.yaml').rules.map((r) => r.kind).sort(), ['above', 'above', 'below', 'drop', 'drop', 'drop', 'msprt_worse', 'msprt_worse'], 'the shipped defaults load');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
