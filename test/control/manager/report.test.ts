import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PARAMS } from '../../../operators/maas/params.ts';
import type { MaasParams } from '../../../operators/maas/types.ts';
import type { Approval, ArmOutcome, AuditEntry, CycleRecord, Goal, ParameterVersion } from '../../../control/types.ts';
import { Ajv } from 'ajv';
import type { TopLevelSpec } from 'vega-lite';
import { paramsChart, sensitivityChart, trendsChart, variantsChart } from '../../../control/manager/charts.ts';
import { renderCycleReport, writeCycleReport, type ReportInput } from '../../../control/manager/report.ts';
import { renderSvg } from '../../../control/manager/vega-svg.ts';

const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const MIN = 60_000;

const goal: Goal = {
  id: 'quality-1',
  description: 'More correct recall at bounded latency',
  primary: [
    { metric: 'recall_at_k', target: 0.7, weight: 0.5 },
    { metric: 'hallucination_rate', target: 0.05, weight: 0.3 },
    { metric: 'precision_at_k', target: 0.8, weight: 0.2 },
  ],
  constraints: [
    { metric: 'latency_p95_ms', max: 5000 },
    { metric: 'error_rate', max: 0.01 },
  ],
  allowed_factors: ['top_k', 'token_budget', 'relevance_weight', 'system_prompt_version'],
  approval_required: ['system_prompt_version'],
  updated_at: T0,
};

function version(v: string, parent: string | null, params: Partial<MaasParams>, at: number): ParameterVersion {
  return { version: v, params: { ...DEFAULT_PARAMS, ...params }, active: false, status: 'retired', parent, reason: 'test', initiator: 'manager', experiment_id: null, created_at: at, activated_at: null };
}

const versions: ParameterVersion[] = [
  version('v1', null, {}, T0 - MIN),
  version('v2', 'v1', { top_k: 8 }, T0 + 1 * MIN),
  version('v2b', 'v1', { top_k: 12 }, T0 + 1 * MIN),
  version('v3', 'v1', { token_budget: 1024, relevance_weight: 0.8 }, T0 + 41 * MIN),
  version('v4', 'v1', { system_prompt_version: 'v2' }, T0 + 41 * MIN),
];

function arm(name: string, v: string, runs: number, q: number | null, m: ArmOutcome['metrics'], violations: string[] = []): ArmOutcome {
  return { arm: name, version: v, runs, metrics: m, q, q_se: q === null ? null : 0.01, feasible: violations.length === 0, violations };
}

const base: Pick<CycleRecord, 'experiment_id' | 'verdict' | 'decisions' | 'alerts' | 'approvals_opened' | 'sensitivity'> = { experiment_id: null, verdict: null, decisions: [], alerts: [], approvals_opened: [], sensitivity: null };

const c1: CycleRecord = {
  ...base,
  cycle: 1,
  type: 'macro',
  started_at: T0,
  ended_at: T0 + 20 * MIN,
  active_before: 'v1',
  active_after: 'v2',
  experiment_id: 'exp-topk',
  verdict: 'winner',
  arms: [
    arm('control', 'v1', 400, 0.6123, { recall_at_k: 0.612, hallucination_rate: 0.081, precision_at_k: 0.7, latency_p95_ms: 812.4, error_rate: 0.002 }),
    arm('topk-8', 'v2', 398, 0.6689, { recall_at_k: 0.7134, hallucination_rate: 0.064, precision_at_k: 0.66, latency_p95_ms: 1290.6, error_rate: 0.003 }),
    arm('topk-12', 'v2b', 402, 0.6815, { recall_at_k: 0.745, hallucination_rate: 0.06, precision_at_k: 0.61, latency_p95_ms: 5321, error_rate: 0.004 }, ['latency_p95_ms 5321 > 5000']),
  ],
  decisions: ['activate v2 (topk-8): recall +0.101, latency p95 within limits', 'refuse v2b (topk-12): latency_p95_ms above 5000'],
};

const c2: CycleRecord = {
  ...base,
  cycle: 2,
  type: 'micro',
  started_at: T0 + 30 * MIN,
  ended_at: T0 + 35 * MIN,
  active_before: 'v2',
  active_after: 'v1',
  arms: [arm('active', 'v2', 120, 0.5902, { recall_at_k: 0.69, hallucination_rate: 0.071, precision_at_k: 0.64, latency_p95_ms: 2450.2, error_rate: 0.02 })],
  decisions: ['rolled back v2 → v1: error rate above 0.01 for 3 windows'],
  alerts: [{ rule: 'error-rate-abs', metric: 'error_rate', version: 'v2', reference_version: null, observed: 0.02, threshold: 0.01, windows: 3, reason: 'error rate 0.020 > 0.010', at: T0 + 33 * MIN }],
};

const c3: CycleRecord = {
  ...base,
  cycle: 3,
  type: 'deep',
  started_at: T0 + 40 * MIN,
  ended_at: T0 + 90 * MIN,
  active_before: 'v1',
  active_after: 'v3',
  experiment_id: 'exp-deep-3',
  verdict: 'winner',
  arms: [
    arm('control', 'v1', 300, 0.618, { recall_at_k: 0.62, hallucination_rate: 0.08, precision_at_k: 0.7, latency_p95_ms: 790, error_rate: 0.001 }),
    arm('budget', 'v3', 301, 0.7412, { recall_at_k: 0.7512, hallucination_rate: 0.0423, precision_at_k: 0.83, latency_p95_ms: 905.5, error_rate: 0.001 }),
    arm('prompt-v2', 'v4', 299, 0.7001, { recall_at_k: 0.64, hallucination_rate: 0.031, precision_at_k: 0.72, latency_p95_ms: 801, error_rate: 0 }),
  ],
  decisions: ['activate v3 (budget): Q +0.123', 'ask for approval of v4 (system_prompt_version)'],
  approvals_opened: ['apr-1'],
  sensitivity: [
    { metric: 'recall_at_k', factors: [{ factor: 'token_budget', effect: 0.09, share: 0.6 }, { factor: 'relevance_weight', effect: 0.045, share: 0.3 }, { factor: 'top_k', effect: 0.015, share: 0.1 }] },
    { metric: 'hallucination_rate', factors: [{ factor: 'system_prompt_version', effect: 0.04, share: 0.8 }, { factor: 'token_budget', effect: 0.01, share: 0.2 }] },
    { metric: 'q', factors: [{ factor: 'token_budget', effect: 0.08, share: 0.55 }, { factor: 'system_prompt_version', effect: 0.065, share: 0.45 }] },
  ],
};

const c4: CycleRecord = { ...base, cycle: 4, type: 'micro', started_at: T0 + 100 * MIN, ended_at: T0 + 105 * MIN, active_before: 'v3', active_after: 'v3', arms: [arm('active', 'v3', 90, 0.75, { recall_at_k: 0.76 })] };

let seq = 0;
function audit(at: number, action: AuditEntry['action'], v: string | null, from: string | null, reason: string, initiator = 'manager'): AuditEntry {
  return { seq: ++seq, at, action, version: v, from_version: from, initiator, experiment_id: null, reason };
}
const auditLog: AuditEntry[] = [
  audit(T0 + 1 * MIN, 'prepare_experiment', null, null, 'exp-topk: 3 arms'),
  audit(T0 + 19 * MIN, 'stop_experiment', null, null, 'exp-topk done'),
  audit(T0 + 19.5 * MIN, 'activate', 'v2', 'v1', 'winner of exp-topk'),
  audit(T0 + 33 * MIN, 'rollback', 'v1', 'v2', 'error-rate-abs: 0.020 > 0.010 for 3 windows', 'rule:error-rate-abs'),
  audit(T0 + 41 * MIN, 'prepare_experiment', null, null, 'exp-deep-3: 3 arms'),
  audit(T0 + 89 * MIN, 'activate', 'v3', 'v1', 'winner of exp-deep-3'),
  audit(T0 + 102 * MIN, 'rollback', 'v1', 'v3', 'after cycle 3: not in its report'),
];

const approvals: Approval[] = [
  { id: 'apr-1', created_at: T0 + 89 * MIN, cycle: 3, version: 'v4', from_version: 'v3', changes: [{ param: 'system_prompt_version', from: 'v1', to: 'v2' }], reason: 'hallucination −0.049', status: 'pending', decided_at: null, decided_by: null, comment: null },
];

const history = [c1, c2, c3, c4];
const input = (record: CycleRecord): ReportInput => ({ record, history, versions, audit: auditLog, goal, approvals });

function tableRow(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line, `no table row starting with ${first}`);
  return line.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim());
}

test('cycle 1 (macro): every chart is a titled SVG with marks, linked from the Markdown; tables carry the figures', async () => {
  const r = await renderCycleReport(input(c1));
  assert.equal(Object.keys(r.charts), ['cycle-0001-trends.svg', 'cycle-0001-variants.svg', 'cycle-0001-params.svg']);
  const titles: Record<string, string> = { trends: 'Metric trends of the active version', variants: 'Arms of cycle 1', params: 'Parameter history of the active version' };
  for (const [name, svg] of Object.entries(r.charts)) {
    assert.ok(svg.startsWith('<svg'), name);
    assert.ok(svg.trimEnd().endsWith('</svg>'), name);
    assert.ok(svg.includes(titles[name.slice(11, -4)] as string), `${name} has its title`);
    assert.ok(/class="mark-(line|rect|symbol)/.test(svg), `${name} has marks`);
  }
  assert.ok(r.charts['cycle-0001-variants.svg']?.includes('topk-8 (winner)'));
  assert.ok(r.charts['cycle-0001-variants.svg']?.includes('topk-12 (infeasible)'));
  const links = [...r.markdown.matchAll(/!\[([^\]]+)\]\(([^)]+)\)/g)].map((m) => m[2]);
  assert.equal(links, Object.keys(r.charts));
  assert.ok(r.markdown.startsWith('# Cycle 1 (macro): 2026-11-22 09:20:00 UTC\n'));
  assert.equal(tableRow(r.markdown, '**topk-8** (winner)'), ['**topk-8** (winner)', 'v2', 'top_k 5 → 8', '398', '0.669', 'yes', '–', '0.713', '0.064', '0.660', '1291', '0.003']);
  assert.equal(tableRow(r.markdown, 'topk-12').slice(5, 7), ['no', 'latency_p95_ms 5321 > 5000']);
  assert.equal(tableRow(r.markdown, 'top_k'), ['top_k', '5', '8']);
  assert.ok(r.markdown.includes('| 1 | activate v2 (topk-8): recall +0.101, latency p95 within limits |'));
  assert.ok(r.markdown.includes('Active version `v1` → `v2` (top_k 5 → 8).'));
  assert.ok(r.markdown.includes('Q 0.669 (first cycle); 1 of 3 goal targets met.'));
  // goal progress on the activated arm: recall 0.713 ≥ 0.7 met; hallucination 0.064 > 0.05 not met
  assert.equal(tableRow(r.markdown, 'Retrieval recall@k'), ['Retrieval recall@k', '≥ 0.700', '0.713', 'met']);
  assert.equal(tableRow(r.markdown, 'Hallucination rate'), ['Hallucination rate', '≤ 0.050', '0.064', 'not met']);
  assert.equal(tableRow(r.markdown, 'Latency p95 (ms)').slice(1), ['≤ 5000', '1291', 'within']);
});

test('cycle 2 (micro): the rollback and its alert are reported and drawn; Q against the previous cycle', async () => {
  const r = await renderCycleReport(input(c2));
  assert.equal(Object.keys(r.charts), ['cycle-0002-trends.svg', 'cycle-0002-params.svg']);
  assert.ok(r.charts['cycle-0002-params.svg']?.includes('rollback in cycle 2'));
  assert.ok(r.charts['cycle-0002-params.svg']?.includes('stroke="#d62728"'));
  assert.ok(r.markdown.includes('Q 0.669 (cycle 1) → 0.590 (-0.079)'));
  assert.ok(r.markdown.includes('1 rollback: `v2` → `v1` (error-rate-abs: 0.020 > 0.010 for 3 windows); 1 alert (error-rate-abs).'));
  assert.equal(tableRow(r.markdown, 'error-rate-abs'), ['error-rate-abs', 'Error rate', 'v2', '–', '0.020', '0.010', '3', 'error rate 0.020 > 0.010']);
  assert.equal(tableRow(r.markdown, '4').slice(2, 6), ['rollback', 'v1', 'v2', 'rule:error-rate-abs']);
  assert.equal(tableRow(r.markdown, 'Error rate').slice(1), ['≤ 0.010', '0.020', 'broken']);
  assert.not.ok(r.markdown.includes('after cycle 3'), 'later audit entries stay out');
});

test('cycle 3 (deep): sensitivity chart, winner and pending approval; same input gives the same bytes', async () => {
  const a = await renderCycleReport(input(c3));
  const b = await renderCycleReport(input(c3));
  assert.equal(Object.keys(a.charts), ['cycle-0003-trends.svg', 'cycle-0003-variants.svg', 'cycle-0003-params.svg', 'cycle-0003-sensitivity.svg']);
  assert.equal(a, b);
  const sens = a.charts['cycle-0003-sensitivity.svg'] ?? '';
  assert.ok(sens.includes('Sensitivity of cycle 3') && sens.includes('token_budget') && sens.includes('60%'));
  assert.ok(a.markdown.includes('Approvals: 1 opened this cycle; 1 pending (`apr-1`).'));
  assert.equal(tableRow(a.markdown, 'apr-1'), ['apr-1', '3', 'v3 → v4', 'system_prompt_version v1 → v2', 'pending', 'hallucination −0.049']);
  assert.equal(tableRow(a.markdown, 'token_budget'), ['token_budget', '512', '1024']);
  for (const [metric, status] of [['Retrieval recall@k', 'met'], ['Hallucination rate', 'met'], ['Retrieval precision@k', 'met']]) {
    assert.equal(tableRow(a.markdown, metric as string)[3], status);
  }
  assert.ok(a.markdown.includes('3 of 3 goal targets met'));
});

test('every chart spec is valid Vega-Lite (its JSON schema), so no mistake hides behind a silent warning', () => {
  const schema: unknown = JSON.parse(fs.readFileSync(new URL('../../../node_modules/vega-lite/build/vega-lite-schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema as object);
  assert.not.ok(validate({ mark: 'barz', data: { values: [] } }), 'the schema check bites');
  for (const c of [c1, c2, c3]) {
    for (const chart of [trendsChart(input(c)), variantsChart(input(c)), paramsChart(input(c)), sensitivityChart(input(c))]) {
      if (chart === null) continue;
      assert.ok(validate(chart.spec), `cycle ${c.cycle} ${chart.kind}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
  }
});

test('vega numbers clip paths per process; renderSvg renumbers them per chart, so a second render is the same bytes', async () => {
  const spec: TopLevelSpec = { title: 'clipped', width: 100, height: 50, data: { values: [{ x: 1, y: 2 }, { x: 3, y: 9 }] }, mark: { type: 'line', clip: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: [0, 2] } }, y: { field: 'y', type: 'quantitative' } } };
  const first = await renderSvg(spec, 'demo');
  const second = await renderSvg(spec, 'demo');
  assert.ok(first.includes('<clipPath id="demo-1">') && first.includes('clip-path="url(#demo-1)"'), first.slice(0, 400));
  assert.is(second, first);
});

test('writeCycleReport writes the Markdown and its charts and names them in ReportInfo', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-report-'));
  try {
    const info = await writeCycleReport(path.join(dir, 'reports'), input(c3));
    assert.equal(info, { cycle: 3, type: 'deep', created_at: c3.ended_at, path: path.join(dir, 'reports', 'cycle-0003.md') });
    const files = fs.readdirSync(path.join(dir, 'reports')).sort();
    assert.equal(files, ['cycle-0003-params.svg', 'cycle-0003-sensitivity.svg', 'cycle-0003-trends.svg', 'cycle-0003-variants.svg', 'cycle-0003.md']);
    const md = fs.readFileSync(info.path, 'utf8');
    for (const m of md.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)) assert.ok(fs.existsSync(path.join(dir, 'reports', m[1] as string)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
