/**
 * Plain data shapes of the control plane (Tuner, Manager, reports, HTTP API):
 * what is stored in control.duckdb, returned by the API and drawn by the
 * dashboard. Behaviour lives in control/tuner and control/manager.
 */
import type { MetricName } from './teacher/catalogue.ts';
import type { MaasParams } from '../operators/maas/types.ts';

/** Who or what made a change: a person (`user:<name>`), the Manager, a degradation rule, a test. */
export type Initiator = string;

export type VersionStatus = 'candidate' | 'active' | 'retired' | 'rolled_back';

/** One row of `experiment_parameters`. */
export interface ParameterVersion {
  version: string;
  params: MaasParams;
  active: boolean;
  status: VersionStatus;
  /** The version this one was derived from (null for the first). */
  parent: string | null;
  reason: string;
  initiator: Initiator;
  experiment_id: string | null;
  /** Epoch ms. */
  created_at: number;
  /** When it was last activated (epoch ms), null if never. */
  activated_at: number | null;
}

export type AuditAction = 'create' | 'activate' | 'rollback' | 'prepare_experiment' | 'start_experiment' | 'stop_experiment';

/** One row of `parameter_audit`: every change the Tuner made, in order. */
export interface AuditEntry {
  seq: number;
  at: number;
  action: AuditAction;
  /** The version the action is about (the one activated, created, rolled back to). */
  version: string | null;
  /** The version active before the action (activate / rollback). */
  from_version: string | null;
  initiator: Initiator;
  experiment_id: string | null;
  reason: string;
}

/** A primary metric of a goal: maximise (`higher`) or minimise (`lower`) it, with a target and a weight in Q. */
export interface GoalMetric {
  metric: MetricName;
  /** The level the goal asks for (≥ for higher metrics, ≤ for lower); reports show progress to it. */
  target: number;
  weight: number;
}

/** A hard limit: a version whose figure breaks it is never activated. */
export interface GoalConstraint {
  metric: MetricName;
  max?: number;
  min?: number;
}

export interface Goal {
  id: string;
  description: string;
  primary: GoalMetric[];
  constraints: GoalConstraint[];
  /** Impact factors the Manager may change (names from docs/IMPACTS.md). */
  allowed_factors: (keyof MaasParams)[];
  /** Factors whose changes wait for a person's approval. */
  approval_required: (keyof MaasParams)[];
  updated_at: number;
}

export type CycleType = 'micro' | 'macro' | 'deep';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

/** A change the Manager wants to make that waits for a person (the manual-approval zone). */
export interface Approval {
  id: string;
  created_at: number;
  cycle: number;
  /** The candidate version to activate on approval. */
  version: string;
  from_version: string;
  changes: { param: string; from: number | string; to: number | string }[];
  reason: string;
  status: ApprovalStatus;
  decided_at: number | null;
  decided_by: Initiator | null;
  comment: string | null;
}

/** One cycle's figures for one version or arm. */
export interface ArmOutcome {
  arm: string;
  version: string;
  runs: number;
  metrics: Partial<Record<MetricName, number | null>>;
  /** Q(θ) of docs/CONTROL.md; null when a primary metric has no value. */
  q: number | null;
  /** Standard error of q from the primary metrics' sampling variances (correlations ignored). */
  q_se: number | null;
  feasible: boolean;
  violations: string[];
}

/** What one cycle did: the record reports and the dashboard are made of. */
export interface CycleRecord {
  cycle: number;
  type: CycleType;
  started_at: number;
  ended_at: number;
  active_before: string;
  active_after: string;
  experiment_id: string | null;
  /** The active version's figures (micro) or every arm's (macro, deep). */
  arms: ArmOutcome[];
  /** Teacher verdict of the cycle's experiment, when it ran one. */
  verdict: 'winner' | 'loser' | 'inconclusive' | null;
  /** What the Manager decided, in words (one line each). */
  decisions: string[];
  /** Alerts of degradation rules seen in the cycle. */
  alerts: DegradationAlert[];
  approvals_opened: string[];
  /** Sensitivity ranking per metric (deep cycles). */
  sensitivity: SensitivityRanking[] | null;
}

/** A degradation rule fired: the active version looks worse than allowed. */
export interface DegradationAlert {
  rule: string;
  metric: MetricName;
  version: string;
  /** The version it is compared with (drop / msprt rules), else null. */
  reference_version: string | null;
  observed: number;
  threshold: number;
  /** Consecutive windows the condition held. */
  windows: number;
  reason: string;
  at: number;
}

/** Which impact factor dominates a metric: factors with their effect, largest first. */
export interface SensitivityRanking {
  /** A metric, or `q` for Q itself. */
  metric: MetricName | 'q';
  factors: { factor: string; effect: number; share: number }[];
}

/** A report written after a cycle. */
export interface ReportInfo {
  cycle: number;
  type: CycleType;
  created_at: number;
  /** Path of the Markdown file. */
  path: string;
}

/** The latest live figures (GET /v1/metrics/stream events). */
export interface LiveMetrics {
  at: number;
  cycle: number;
  active_version: string;
  /** Runs the sensor has recorded so far. */
  runs: number;
  metrics: Partial<Record<MetricName, number | null>>;
  q: number | null;
}
