/**
 * DegradationMonitor: the degradation rules over a stream of sensor rows
 * (docs/DEGRADATION.md). Pure and deterministic: the same rows in the same
 * order give the same alerts. Its whole state is one plain object
 * (`state`), bounded by the rules (the last reference_windows · window_runs
 * runs of two versions, mSPRT samples up to max_windows windows, the fired
 * rules of the last 64 versions), which the engine operator checkpoints.
 *
 * - Only runs outside experiments count (experiments have the Teacher's guardrails).
 * - A window is `window_runs` consecutive finished runs of the current version.
 * - When a run of another version starts after the current version's first
 *   run started, that version becomes current and the old one its reference;
 *   a run that started earlier is a straggler of an earlier version (it
 *   joins the reference's runs when it is the reference's, else is ignored).
 * - Each rule fires at most once per version.
 */
import type { DegradationAlert } from '../../control/types.ts';
import type { MetricName } from '../../control/teacher/catalogue.ts';
import { DEFAULT_UNKNOWN_MARKERS } from '../../streams/emulator/config.ts';
import type { SensorRow } from '../sensor/sensor.ts';
import { checkSequential, checkWindow, sequentialReason, windowReason } from './degradation-checks.ts';
import type { DegradationRules, DropRule, MsprtRule, ThresholdRule } from './degradation-rules.ts';
import { runMetricValues } from './run-metrics.ts';

/** Per-run values of the rules' metrics (`MonitorState` column order), null outside a metric's population. */
type RunValues = (number | null)[];

interface CurrentVersion {
  version: string;
  /** Start (started_at, else ended_at) of its first run seen: earlier-started runs of other versions are stragglers. */
  since: number;
  /** Runs counted so far; a window closes at every multiple of window_runs. */
  runs: number;
  /** Its last reference_windows · window_runs runs, oldest first (the last window, and its reference sample later). */
  recent: RunValues[];
  /** Rule id -> consecutive judged windows whose condition held. */
  streaks: Record<string, number>;
  /** mSPRT rule id -> the current version's values since the test (re)started, and its windows. */
  sequential: Record<string, { values: number[]; windows: number }>;
}

/** The monitor's whole state: plain data (structured-cloneable), what a checkpoint saves. */
export interface MonitorState {
  /** The rules the windows were built under; restored state of other rules starts its windows afresh. */
  rules: string;
  current: CurrentVersion | null;
  reference: { version: string; recent: RunValues[] } | null;
  /** [version, rule ids fired], oldest first, at most FIRED_VERSIONS. */
  fired: [string, string[]][];
}

const FIRED_VERSIONS = 64;

export interface MonitorOptions {
  /** Lower-case unknown markers when the rules name none (default: the emulator's built-in list). */
  unknownMarkers?: readonly string[];
  /** A state saved from a monitor (a checkpoint). */
  state?: MonitorState;
}

export class DegradationMonitor {
  readonly state: MonitorState;
  private readonly metrics: readonly MetricName[];
  private readonly column: ReadonlyMap<MetricName, number>;
  private readonly markers: readonly string[];
  private readonly cap: number;
  private readonly sequentialRules: readonly MsprtRule[];

  constructor(
    readonly rules: DegradationRules,
    options: MonitorOptions = {},
  ) {
    this.metrics = [...new Set(rules.rules.map((r) => r.metric))];
    this.column = new Map(this.metrics.map((m, i) => [m, i]));
    this.markers = rules.unknown_markers ?? options.unknownMarkers ?? DEFAULT_UNKNOWN_MARKERS;
    this.cap = rules.reference_windows * rules.window_runs;
    this.sequentialRules = rules.rules.filter((r): r is MsprtRule => r.kind === 'msprt_worse');
    const fingerprint = JSON.stringify({ w: rules.window_runs, k: rules.reference_windows, m: rules.unknown_markers, r: rules.rules });
    const restored = options.state;
    this.state = restored?.rules === fingerprint ? restored : { rules: fingerprint, current: null, reference: null, fired: restored?.fired ?? [] };
  }

  /** Takes one finished run; returns the alerts it completes (usually none). */
  push(row: SensorRow): DegradationAlert[] {
    if (row.experiment_id !== null) return [];
    const s = this.state;
    const start = row.started_at ?? row.ended_at;
    if (s.current === null || (row.param_version !== s.current.version && start >= s.current.since)) {
      if (s.current !== null) s.reference = { version: s.current.version, recent: s.current.recent };
      s.current = { version: row.param_version, since: start, runs: 0, recent: [], streaks: {}, sequential: {} };
    } else if (row.param_version !== s.current.version) {
      if (s.reference?.version === row.param_version) this.keep(s.reference.recent, this.valuesOf(row));
      return [];
    }
    const cur = s.current;
    const values = this.valuesOf(row);
    this.keep(cur.recent, values);
    if (this.sequentialRules.length > 0) {
      const fired = this.firedRules(cur.version);
      for (const rule of this.sequentialRules) {
        const v = values[this.column.get(rule.metric)!];
        if (v !== null && v !== undefined && !fired.includes(rule.id)) (cur.sequential[rule.id] ??= { values: [], windows: 0 }).values.push(v);
      }
    }
    cur.runs++;
    return cur.runs % this.rules.window_runs === 0 ? this.closeWindow(cur, row.ended_at) : [];
  }

  /** Rule ids that fired for a version (it is degraded for them). */
  firedRules(version: string): readonly string[] {
    return this.state.fired.find(([v]) => v === version)?.[1] ?? [];
  }

  private closeWindow(cur: CurrentVersion, at: number): DegradationAlert[] {
    const window = cur.recent.slice(-this.rules.window_runs);
    const fired = this.firedRules(cur.version);
    const windows = cur.runs / this.rules.window_runs;
    const alerts: DegradationAlert[] = [];
    for (const rule of this.rules.rules) {
      if (fired.includes(rule.id)) continue; // once per version: a fired rule is done with it
      const alert = rule.kind === 'msprt_worse' ? this.sequential(rule, cur, windows) : this.threshold(rule, cur, window);
      if (alert === null) continue;
      alerts.push({ rule: rule.id, metric: rule.metric, version: cur.version, ...alert, at });
      this.markFired(cur.version, rule.id);
    }
    return alerts;
  }

  /** above / below / drop: updates the rule's streak; an alert body once it reaches the rule's windows. */
  private threshold(rule: ThresholdRule | DropRule, cur: CurrentVersion, window: RunValues[]): AlertBody | null {
    const ref = this.state.reference;
    const c = checkWindow(rule, this.valuesIn(window, rule.metric), rule.kind === 'drop' && ref !== null ? this.valuesIn(ref.recent, rule.metric) : null);
    if (c === null) return null; // not judged: the streak neither grows nor breaks
    const streak = (cur.streaks[rule.id] = c.held ? (cur.streaks[rule.id] ?? 0) + 1 : 0);
    if (streak < rule.windows) return null;
    const referenceVersion = rule.kind === 'drop' ? ref!.version : null;
    return {
      reference_version: referenceVersion,
      observed: c.observed,
      threshold: c.threshold,
      windows: streak,
      reason: windowReason(rule, c, { version: cur.version, referenceVersion, windows: streak, windowRuns: this.rules.window_runs }),
    };
  }

  /** msprt_worse: the test on every value since it (re)started; it restarts after max_windows windows. */
  private sequential(rule: MsprtRule, cur: CurrentVersion, windows: number): AlertBody | null {
    const seq = (cur.sequential[rule.id] ??= { values: [], windows: 0 });
    seq.windows++;
    const ref = this.state.reference;
    const c = ref === null ? null : checkSequential(rule, seq.values, this.valuesIn(ref.recent, rule.metric));
    if (seq.windows >= rule.max_windows) {
      seq.values = [];
      seq.windows = 0;
    }
    if (c === null || !c.worse) return null;
    return {
      reference_version: ref!.version,
      observed: c.observed,
      threshold: c.reference,
      windows,
      reason: sequentialReason(rule, c, { version: cur.version, referenceVersion: ref!.version, windows, windowRuns: this.rules.window_runs }),
    };
  }

  private valuesOf(row: SensorRow): RunValues {
    return runMetricValues(row, this.metrics, this.markers);
  }

  /** Appends a run's values, dropping the oldest beyond reference_windows · window_runs runs. */
  private keep(recent: RunValues[], values: RunValues): void {
    recent.push(values);
    if (recent.length > this.cap) recent.splice(0, recent.length - this.cap);
  }

  /** One metric's values (its population only) over some runs. */
  private valuesIn(runs: readonly RunValues[], metric: MetricName): number[] {
    const j = this.column.get(metric)!;
    const out: number[] = [];
    for (const r of runs) {
      const v = r[j];
      if (v !== null && v !== undefined) out.push(v);
    }
    return out;
  }

  private markFired(version: string, rule: string): void {
    const fired = this.state.fired;
    const entry = fired.find(([v]) => v === version);
    if (entry) entry[1].push(rule);
    else {
      fired.push([version, [rule]]);
      if (fired.length > FIRED_VERSIONS) fired.splice(0, fired.length - FIRED_VERSIONS);
    }
  }
}

type AlertBody = Omit<DegradationAlert, 'rule' | 'metric' | 'version' | 'at'>;
