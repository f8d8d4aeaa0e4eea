/** The `degradation` operator through the engine: rows in, alerts out keyed by version; its windows survive checkpoint and restore; topology validation reads the rules. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DegradationAlert } from '../../../control/types.ts';
import { MaasflowError, ValidationErrors } from '../../../engine/errors.ts';
import { runTopology } from '../../../engine/runtime.ts';
import { TopologyTestDriver, type CollectedRecord } from '../../../engine/test-driver.ts';
import { DegradationMonitor } from '../../../operators/control/degradation-monitor.ts';
import { degradationRules } from '../../../operators/control/degradation-rules.ts';
import type { SensorRow } from '../../../operators/sensor/sensor.ts';
import { EmbeddedLog } from '../../../streams/log/index.ts';
import { loadScenarios } from '../../../streams/emulator/config.ts';
import { parseTopology } from '../../../topologies/validate.ts';
import { schemas } from '../../streams/connectors/helpers.ts';
import { row } from '../../support/sensor-rows.ts';

const RULES = {
  window_runs: 10,
  min_values: 5,
  rules: [
    { id: 'errors', kind: 'above', metric: 'error_rate', threshold: 0.05, windows: 3 },
    { id: 'precision-drop', kind: 'drop', metric: 'precision_at_k', max_relative_change: 0.2, windows: 2 },
  ],
};

const failed: Partial<SensorRow> = { status: 'FAILED', error: 'timeout', answer: null };
const question = (retrieved: string[]): Partial<SensorRow> => ({ golden_fact_keys: ['pet'], golden_answer: 'Rex', answer: 'Rex.', memories_retrieved: retrieved.length, retrieved_fact_keys: retrieved });

/** A: 40 healthy runs (precision 1); B: 60 runs, precision 0.5, 2 failures in 10; an experiment's runs between. */
const ROWS: SensorRow[] = [
  ...Array.from({ length: 40 }, (_, i) => row(i, 'A', question(['pet']))),
  ...Array.from({ length: 10 }, (_, i) => row(40 + i, 'A+exp.t', { ...failed, experiment_id: 'exp', variant: 't' })),
  ...Array.from({ length: 60 }, (_, i) => row(50 + i, 'B', i % 10 < 2 ? failed : question(['pet', 'city']))),
];

const expected = (rows: readonly SensorRow[]): DegradationAlert[] => {
  const m = new DegradationMonitor(degradationRules(RULES), { unknownMarkers: loadScenarios().unknown_markers });
  return rows.flatMap((r) => m.push(r));
};

const OPS = (rules: unknown = RULES) => [{ id: 'watch', type: 'degradation', input: 'rows', params: { rules } }];
const records = (rows: readonly SensorRow[]) => rows.map((r) => ({ value: r, timestamp: r.ended_at, key: r.run_id }));

test('rows in, alerts out: keyed by version at the row event time, as the monitor decides', async () => {
  const d = await TopologyTestDriver.create(OPS());
  for (let i = 0; i < ROWS.length; i += 7) d.push('rows', records(ROWS.slice(i, i + 7)), ROWS[Math.min(i + 6, ROWS.length - 1)]!.ended_at);
  const out = d.output('watch');
  const want = expected(ROWS);
  assert.equal(want.map((a) => [a.rule, a.version, a.windows]), [['precision-drop', 'B', 2], ['errors', 'B', 3]]);
  assert.equal(out.map((r) => r.value), want);
  assert.equal(out.map((r) => [r.key, r.timestamp]), want.map((a) => ['B', a.at]));
  assert.is(d.metrics.total('degradation_alerts'), 2);
});

test('checkpoint and restore keep the windows, streaks and reference: the alerts are those of an uninterrupted run', async () => {
  const want = expected(ROWS);
  // cut inside B's second window, after its first window counted for both rules
  for (const cut of [25, 55, 65, 75, 95]) {
    const first = await TopologyTestDriver.create(OPS());
    first.push('rows', records(ROWS.slice(0, cut)), ROWS[cut - 1]!.ended_at);
    const restored = await TopologyTestDriver.create(OPS(), first.snapshot());
    restored.push('rows', records(ROWS.slice(cut)), ROWS.at(-1)!.ended_at);
    const all: CollectedRecord[] = [...first.output('watch'), ...restored.output('watch')];
    assert.equal(all.map((r) => r.value), want, `cut at ${cut}`);
  }
  // without the state, the same tail raises a different account (B would need three fresh windows and has no reference)
  const fresh = await TopologyTestDriver.create(OPS());
  fresh.push('rows', records(ROWS.slice(75)), ROWS.at(-1)!.ended_at);
  assert.not.equal(fresh.output('watch').map((r) => r.value), want.filter((a) => a.at > ROWS[74]!.ended_at));
});

const TOPOLOGY = (rules: string) => `name: degradation-test
checkpoint: { interval: 1h }
sources:
  - id: rows
    type: log
    params: { topic: sensor_rows, stopAtEnd: true }
    format: json
    eventTime: value.ended_at
operators:
  - id: watch
    type: degradation
    input: rows
    params: { rules: ${rules} }
sinks:
  - id: alerts
    type: log
    input: watch
    params: { topic: control.alerts }
`;

function append(dir: string, rows: readonly SensorRow[]): void {
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  try {
    if (!log.hasTopic('sensor_rows')) log.createTopic('sensor_rows', { partitions: 1 });
    log.appendByKey('sensor_rows', rows.map((r) => ({ key: Buffer.from(r.run_id), value: Buffer.from(JSON.stringify(r)), timestamp: r.ended_at })));
    log.flush();
  } finally {
    log.close();
  }
}

function alertsIn(dir: string): { key: string; alert: DegradationAlert }[] {
  const log = EmbeddedLog.open(path.join(dir, 'log'));
  try {
    return log.read('control.alerts', 0, 0, 1000).map((r) => ({ key: Buffer.from(r.key!).toString(), alert: JSON.parse(Buffer.from(r.value!).toString()) as DegradationAlert }));
  } finally {
    log.close();
  }
}

test('a topology: JSON rows from the log, rules from a file, alerts as JSON on control.alerts; stopped and resumed from its checkpoint', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-degradation-op-'));
  try {
    const rulesFile = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesFile, JSON.stringify(RULES));
    const { spec } = parseTopology(path.join(dir, 'topology.yaml'), TOPOLOGY(rulesFile), schemas);
    append(dir, ROWS.slice(0, 75));
    const firstRun = await runTopology(spec, { schemas, dataDir: dir });
    assert.ok(firstRun.completed);
    append(dir, ROWS.slice(75));
    const secondRun = await runTopology(spec, { schemas, dataDir: dir });
    assert.is(secondRun.restoredFromEpoch, firstRun.lastEpoch, 'the second run resumed from the first one\'s checkpoint');
    const want = expected(ROWS);
    assert.equal(alertsIn(dir), want.map((alert) => ({ key: alert.version, alert })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a record that is not a sensor row (an unchecked json input) fails the run with RECORD_VALIDATE naming the field', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-degradation-bad-'));
  try {
    const { spec } = parseTopology(path.join(dir, 'topology.yaml'), TOPOLOGY('config/degradation.yaml'), schemas);
    append(dir, [ROWS[0]!, { ...ROWS[1]!, golden_fact_keys: 'pet' as unknown as string[] }]);
    const err = await runTopology(spec, { schemas, dataDir: dir }).then(() => undefined, (e: unknown) => e);
    assert.instance(err, MaasflowError);
    assert.is((err as MaasflowError).code, 'RECORD_VALIDATE');
    assert.match((err as Error).message, 'degradation "watch": record 1 of the batch is not a sensor row: golden_fact_keys or retrieved_fact_keys is not an array');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('validation reads the rules: a bad file is reported with the topology line and the rules file line; inline rules at their path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-degradation-val-'));
  try {
    const rulesFile = path.join(dir, 'rules.yaml');
    fs.writeFileSync(rulesFile, 'rules:\n  - { id: a, kind: above, metric: error_rate, threshold: 0.1 }\n  - { id: a, kind: below, metric: error_rate, threshold: 0.1 }\n');
    const topo = path.join(dir, 'topology.yaml');
    assert.throws(
      () => parseTopology(topo, TOPOLOGY(rulesFile), schemas),
      (err: Error) => err instanceof ValidationErrors && err.message === `${topo}:13:15 /operators/0/params/rules: ${rulesFile}:3:7 /rules/1/id: rule id "a" is already used [CONFIG] [TOPOLOGY_BAD_PARAMS]`,
    );
    assert.throws(() => parseTopology(topo, TOPOLOGY(path.join(dir, 'missing.yaml')), schemas), /cannot read degradation rules/);
    const inline = TOPOLOGY('{ rules: [ { id: x, kind: drop, metric: recall_at_k } ] }');
    assert.throws(() => parseTopology(topo, inline, schemas), /\/operators\/0\/params\/rules\/rules\/0: a drop rule needs exactly one of max_relative_change and max_absolute_change/);
    const wrongKind = TOPOLOGY('{ rules: [ { id: x, kind: sideways, metric: recall_at_k } ] }');
    assert.throws(() => parseTopology(topo, wrongKind, schemas), /\/operators\/0\/params\/rules\/rules\/0\/kind: must be one of: "above", "below", "drop", "msprt_worse"/);
    // the shipped rules, named relative to the package, validate from any working directory
    assert.is(parseTopology(topo, TOPOLOGY('config/degradation.yaml'), schemas).spec.operators![0]!.type, 'degradation');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
