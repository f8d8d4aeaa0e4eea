import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DegradationAlert } from '../../control/types.ts';
import { MaasflowError, ValidationErrors } from '../../engine/errors.ts';
import { loadScenarios } from '../../streams/emulator/config.ts';
import { defineOperator } from '../definition.ts';
import type { SensorRow } from '../sensor/sensor.ts';
import { DegradationMonitor, type MonitorState } from './degradation-monitor.ts';
import { DEGRADATION_RULES_SCHEMA, degradationRules, loadDegradationRules, ruleProblems, type DegradationRules, type RawRules } from './degradation-rules.ts';

export type { DegradationAlert };

interface DegradationParams {
  /** A rules file (YAML or JSON), or the rules themselves inline. */
  rules: string | RawRules;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A relative rules path is read from the working directory, else from the
 * package: the shipped topology names config/degradation.yaml and the MaaS
 * host runs it from any directory.
 */
export function resolveRulesPath(file: string): string {
  if (path.isAbsolute(file) || fs.existsSync(file)) return path.resolve(file);
  const shipped = path.join(ROOT, file);
  return fs.existsSync(shipped) ? shipped : path.resolve(file);
}

function rulesOf(p: DegradationParams): DegradationRules {
  return typeof p.rules === 'string' ? loadDegradationRules(resolveRulesPath(p.rules)) : degradationRules(p.rules);
}

/**
 * degradation: the degradation rules (docs/DEGRADATION.md) over sensor rows
 * (operators/sensor/sensor.ts), one DegradationAlert per rule that fires,
 * keyed by the version it is about, at the row's event time. The monitor's
 * whole state is one entry of the `monitor` store, so windows, references
 * and fired rules survive a checkpoint and restore.
 */
export const degradationOperator = defineOperator<DegradationParams>({
  type: 'degradation',
  summary: 'Degradation rules over sensor rows: an alert when the active parameter version looks worse than allowed',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['rules'],
    properties: { rules: { oneOf: [{ type: 'string', minLength: 1 }, DEGRADATION_RULES_SCHEMA] } },
  },
  keyEffect: 'sets',
  describe: (p) => ({ keyBy: 'value.version', notes: typeof p.rules === 'string' ? `alerts by the rules of ${p.rules}` : `alerts by ${p.rules.rules.length} inline rules` }),
  // the rules are read at validation too, so a bad file fails `maasflow validate` and the job's start, not its first window
  check(p) {
    if (typeof p.rules !== 'string') return ruleProblems(p.rules).map((x) => ({ path: ['rules', ...x.path].join('/'), message: x.message }));
    try {
      loadDegradationRules(resolveRulesPath(p.rules));
      return [];
    } catch (err) {
      if (err instanceof ValidationErrors) return [{ path: 'rules', message: err.errors.map((e) => e.format()).join('; ') }];
      throw err;
    }
  },
  create(p, ctx) {
    const rules = rulesOf(p);
    // the Teacher's default markers (control/teacher/sql.ts), so both judge answers alike
    const unknownMarkers = rules.unknown_markers ?? loadScenarios().unknown_markers;
    const store = ctx.store<'monitor', MonitorState>('monitor');
    const alerts = ctx.counter('degradation_alerts', 'alerts raised by degradation rules');
    const where = `degradation "${ctx.id}"`;
    let monitor!: DegradationMonitor;
    // the store holds the monitor's live state object: every checkpoint snapshots it as it is
    const open = (state: MonitorState | undefined): void => {
      monitor = new DegradationMonitor(rules, state === undefined ? { unknownMarkers } : { unknownMarkers, state });
      store.set('monitor', monitor.state);
    };
    open(store.get('monitor'));
    return {
      process(batch, _input, out) {
        const { values, timestamps } = batch;
        for (let i = 0; i < values.length; i++) {
          for (const alert of monitor.push(checked(values[i], i, where))) {
            alerts.inc();
            out.push(alert, timestamps[i]!, alert.version);
          }
        }
      },
      onRestore() {
        open(store.get('monitor'));
      },
    };
  },
});

const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): boolean => v === null || typeof v === 'string';

/** The fields the rules read. The sensor guarantees them; this guards other inputs (a json source). */
function checked(v: unknown, i: number, where: string): SensorRow {
  const r = v as Partial<Record<keyof SensorRow, unknown>> | null;
  const problem =
    r === null || typeof r !== 'object' ? 'not an object'
    : typeof r.param_version !== 'string' ? 'param_version is not a string'
    : !isText(r.experiment_id) ? 'experiment_id is not a string or null'
    : r.status !== 'COMPLETED' && r.status !== 'FAILED' ? 'status is not COMPLETED or FAILED'
    : !isNum(r.ended_at) || !(r.started_at === null || isNum(r.started_at)) || !(r.latency_ms === null || isNum(r.latency_ms)) ? 'ended_at, started_at or latency_ms is not a number'
    : ![r.prompt_tokens, r.completion_tokens, r.memories_retrieved, r.memories_used].every(isNum) ? 'a token or memory count is not a number'
    : !Array.isArray(r.golden_fact_keys) || !Array.isArray(r.retrieved_fact_keys) ? 'golden_fact_keys or retrieved_fact_keys is not an array'
    : !isText(r.answer) || !isText(r.golden_answer) ? 'answer or golden_answer is not a string or null'
    : null;
  if (problem === null) return r as SensorRow;
  throw new MaasflowError('RECORD_VALIDATE', `${where}: record ${i} of the batch is not a sensor row: ${problem} (got ${JSON.stringify(v)?.slice(0, 200)})`);
}
