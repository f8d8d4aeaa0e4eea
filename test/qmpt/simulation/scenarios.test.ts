/** Scenario layers (docs/QMPT.md §7): names, counts, score ranges, seeding, errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildScenario } from '../../../qmpt/simulation/scenarios.ts';
import type { ScenarioConfig } from '../../../qmpt/types.ts';
import { expectThrows } from '../../support/errors.ts';

const fails = (run: () => unknown, includes: string[], path?: string): void => void expectThrows(run, path === undefined ? { includes } : { includes, path });

test('multiple_anomalies: names, order, counts, ranges, full Pattern objects', () => {
  const { layer, patterns } = buildScenario({ kind: 'multiple_anomalies', patterns: 12, anomalous: 3, seed: 5 }, 'L9');
  assert.equal(layer.patterns, ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6', 'p-7', 'p-8', 'p-9', 'anom-1', 'anom-2', 'anom-3']);
  assert.is(layer.layer_id, 'L9');
  assert.equal(layer.state_trajectory, []);
  assert.equal([...patterns.keys()], layer.patterns);
  for (const [id, p] of patterns) {
    const anomalous = id.startsWith('anom-');
    assert.is(p.pattern_id, id);
    assert.is(p.layer_id, 'L9');
    assert.equal(p.metadata, { scenario: 'multiple_anomalies', anomalous });
    const a = p.anomaly_score!;
    const r = p.reflexivity!;
    assert.ok(anomalous ? a >= 0.85 && a < 0.95 : a >= 0.25 && a < 0.55, `${id}: Â = ${a}`);
    assert.ok(r >= 0.1 && r < 0.5, `${id}: R = ${r}`);
    assert.equal([p.features, p.self_operator, p.components, p.feature_spec_version, p.metrics_version], [null, null, null, null, null]);
  }
});

test('baseline has no anomalous pattern, single_anomaly exactly one', () => {
  const base = buildScenario({ kind: 'baseline', patterns: 6, anomalous: 0, seed: 1 }, 'L');
  assert.ok([...base.patterns.values()].every((p) => p.anomaly_score! < 0.55 && p.metadata.anomalous === false));
  const single = buildScenario({ kind: 'single_anomaly', patterns: 6, anomalous: 1, seed: 1 }, 'L');
  assert.equal(single.layer.patterns.filter((id) => single.patterns.get(id)!.anomaly_score! >= 0.85), ['anom-1']);
  assert.is(single.layer.patterns.length, 6);
});

test('seeded: the same seed gives the same patterns, another seed others', () => {
  const cfg: ScenarioConfig = { kind: 'single_anomaly', patterns: 8, anomalous: 1, seed: 3 };
  assert.equal(buildScenario(cfg, 'L').patterns, buildScenario({ ...cfg }, 'L').patterns);
  const a = [...buildScenario(cfg, 'L').patterns.values()].map((p) => p.anomaly_score);
  const b = [...buildScenario({ ...cfg, seed: 4 }, 'L').patterns.values()].map((p) => p.anomaly_score);
  assert.not.equal(a, b);
});

test('errors name the field', () => {
  const at = 'simulation.scenario';
  fails(() => buildScenario({ kind: 'baseline', patterns: 5, anomalous: 1, seed: 1 }, 'L'), [`${at}.anomalous`, 'must be 0'], `${at}.anomalous`);
  fails(() => buildScenario({ kind: 'single_anomaly', patterns: 5, anomalous: 2, seed: 1 }, 'L'), [`${at}.anomalous`, 'must be 1']);
  fails(() => buildScenario({ kind: 'multiple_anomalies', patterns: 5, anomalous: 1, seed: 1 }, 'L'), [`${at}.anomalous`, 'at least 2']);
  fails(() => buildScenario({ kind: 'multiple_anomalies', patterns: 2, anomalous: 3, seed: 1 }, 'L'), [`${at}.anomalous`, 'exceeds']);
  fails(() => buildScenario({ kind: 'baseline', patterns: 0, anomalous: 0, seed: 1 }, 'L'), [`${at}.patterns`]);
  fails(() => buildScenario({ kind: 'baseline', patterns: 2.5, anomalous: 0, seed: 1 }, 'L'), [`${at}.patterns`]);
  fails(() => buildScenario({ kind: 'chaos' as ScenarioConfig['kind'], patterns: 2, anomalous: 0, seed: 1 }, 'L'), [`${at}.kind`, 'baseline, single_anomaly, multiple_anomalies']);
  fails(() => buildScenario({ kind: 'baseline', patterns: 2, anomalous: 0, seed: Number.NaN }, 'L'), [`${at}.seed`]);
  fails(() => buildScenario({ kind: 'baseline', patterns: 2, anomalous: 0, seed: 1 }, ''), ['simulation.layer_id']);
});

test.run();
