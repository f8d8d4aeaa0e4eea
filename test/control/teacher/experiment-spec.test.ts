import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationErrors } from '../../../engine/errors.ts';
import { parseExperimentSpec, runningEntry } from '../../../control/teacher/experiment-spec.ts';

const GOOD = `id: topk-8
goal: More context per answer
baseline: { name: control }
variants:
  - name: treatment
    params: { top_k: 8 }
assignment: { unit: user_id, split: { control: 0.5, treatment: 0.5 } }
primary_metrics: [recall_at_k]
guardrails:
  - { metric: latency_p95_ms, max_relative_change: 0.25 }
success: { mde: 0.05 }
`;

function errorsOf(text: string): string[] {
  try {
    parseExperimentSpec('exp.yaml', text);
  } catch (err) {
    if (err instanceof ValidationErrors) return err.errors.map((e) => e.format());
    throw err;
  }
  assert.unreachable('the spec should have been refused');
  return [];
}

test('a good spec: defaults filled; the parameter-file entry gives each arm its version and share', () => {
  const spec = parseExperimentSpec('exp.yaml', GOOD);
  assert.equal([spec.design, spec.test, spec.correction, spec.success.alpha, spec.success.power, spec.assignment.salt], ['fixed_horizon', 'welch', 'holm', 0.05, 0.8, 'topk-8']);
  assert.equal(runningEntry(spec, 'v3'), {
    id: 'topk-8',
    unit: 'user_id',
    salt: 'topk-8',
    arms: [
      { name: 'control', ratio: 0.5, version: 'v3+topk-8.control', params: {} },
      { name: 'treatment', ratio: 0.5, version: 'v3+topk-8.treatment', params: { top_k: 8 } },
    ],
  });
});

const BAD: [string, string, string][] = [
  ['unknown metric', GOOD.replace('[recall_at_k]', '[recall_at_k, happiness]'), 'exp.yaml:8:32 /primary_metrics/1: must be one of: "precision_at_k"'],
  ['unknown guardrail metric', GOOD.replace('latency_p95_ms', 'latency_p99_ms'), '/guardrails/0/metric: must be one of'],
  ['out-of-range parameter', GOOD.replace('top_k: 8', 'top_k: 80'), 'exp.yaml:6:'],
  ['unknown parameter', GOOD.replace('top_k: 8', 'topk: 8'), 'unknown field "topk"'],
  ['split not summing to 1', GOOD.replace('treatment: 0.5 }', 'treatment: 0.4 }'), '/assignment/split: shares must sum to 1, got 0.9'],
  ['split naming a missing arm', GOOD.replace('treatment: 0.5 }', 'treatment: 0.25, other: 0.25 }'), '/assignment/split/other: "other" is not an arm (arms: control, treatment)'],
  ['duplicate arm', GOOD.replace('  - name: treatment', '  - name: control'), '/variants/0/name: arm name "control" is already used'],
  ['both guardrail limits', GOOD.replace('max_relative_change: 0.25', 'max_relative_change: 0.25, max_absolute_change: 10'), '/guardrails/0: give exactly one of max_relative_change and max_absolute_change'],
  ['missing field', GOOD.replace('goal: More context per answer\n', ''), 'missing required field "goal"'],
  ['alpha out of range', GOOD.replace('{ mde: 0.05 }', '{ mde: 0.05, alpha: 0.9 }'), '/success/alpha'],
  ['id with quotes', GOOD.replace('id: topk-8', `id: "x'; DROP TABLE sensor_runs; --"`), 'exp.yaml:1:1 /id: "x\'; DROP TABLE sensor_runs; --" does not match'],
  ['YAML syntax', GOOD.replace('baseline: { name: control }', 'baseline: { name: control'), 'exp.yaml:4:'],
];

for (const [name, text, needle] of BAD) {
  test(`refused with file, line and field: ${name}`, () => {
    const errors = errorsOf(text);
    assert.ok(errors.some((e) => e.includes(needle)), `expected "${needle}" in:\n${errors.join('\n')}`);
  });
}

test.run();
