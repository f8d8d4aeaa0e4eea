/**
 * What the HTTP API and the dashboard ask of the control plane. The Manager
 * (control/manager) implements it; route tests use a fake. Every method
 * validates its input and throws a MaasflowError: REQUEST_INVALID / CONFIG /
 * PARAM_GUARD (400), NOT_FOUND (404), CONFLICT (409). A refused call changes
 * nothing.
 */
import type { ExperimentResult } from '../control/teacher/analyze.ts';
import type { ExperimentSpec } from '../control/teacher/experiment-spec.ts';
import type { Approval, AuditEntry, CycleRecord, CycleType, Goal, Initiator, LiveMetrics, ParameterVersion, ReportInfo } from '../control/types.ts';

export type ExperimentStatus = 'created' | 'running' | 'stopped';

export interface ExperimentInfo {
  id: string;
  spec: Omit<ExperimentSpec, 'file'>;
  status: ExperimentStatus;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  initiator: Initiator;
  /** The Teacher's verdict once analysed. */
  verdict: ExperimentResult['verdict'] | null;
}

export interface ControlPlane {
  experiments: {
    list(): Promise<ExperimentInfo[]>;
    /** `spec` is the JSON form of an experiment spec file (docs/EXPERIMENTS.md). */
    create(spec: unknown, by: Initiator): Promise<ExperimentInfo>;
    /** Publishes its arms in the parameter file: traffic is split from the next request on. */
    start(id: string, by: Initiator): Promise<ExperimentInfo>;
    stop(id: string, by: Initiator, reason: string): Promise<ExperimentInfo>;
    /** The Teacher's analysis of what the sensor recorded for it so far. */
    results(id: string): Promise<ExperimentResult>;
  };
  parameters: {
    list(): Promise<ParameterVersion[]>;
    activate(version: string, by: Initiator, reason: string): Promise<ParameterVersion>;
    /** Back to the version active before the current one. */
    rollback(by: Initiator, reason: string): Promise<ParameterVersion>;
    audit(): Promise<AuditEntry[]>;
  };
  goals: {
    get(): Promise<Goal>;
    /** `goal` is the JSON body; validated against the goal schema and the impact factors. */
    set(goal: unknown, by: Initiator): Promise<Goal>;
  };
  approvals: {
    list(): Promise<Approval[]>;
    decide(id: string, decision: 'approve' | 'reject', by: Initiator, comment: string | null): Promise<Approval>;
  };
  reports: {
    list(): Promise<ReportInfo[]>;
    /** The Markdown text of a cycle's report and its charts (file name -> SVG text). */
    get(cycle: number): Promise<{ info: ReportInfo; markdown: string; charts: Record<string, string> }>;
  };
  cycles: {
    list(): Promise<CycleRecord[]>;
    /** Runs one cycle now (waits for it); CONFLICT while another runs. */
    run(type: CycleType, by: Initiator): Promise<CycleRecord>;
    /** Stops the running cycle's traffic (the emulator run): it ends without adopting anything; CONFLICT when none runs. */
    stop(by: Initiator, reason: string): Promise<{ cycle: number }>;
  };
  live: {
    snapshot(): Promise<LiveMetrics>;
    /** Called with every new figure (after each batch the sensor recorded, at least once a cycle); returns the unsubscribe. */
    subscribe(listener: (m: LiveMetrics) => void): () => void;
  };
}
