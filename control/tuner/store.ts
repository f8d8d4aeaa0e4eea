/**
 * The Tuner's tables in the control database (control.duckdb): parameter
 * versions, the audit log and experiments. Plain prepared statements: these
 * are small control-plane tables written a few times per cycle.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ExperimentSpec } from '../teacher/experiment-spec.ts';
import type { AuditAction, AuditEntry, ParameterVersion, VersionStatus } from '../types.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import type { ExperimentInfo, ExperimentStatus } from '../../server/control-plane.ts';

const DDL = `
CREATE TABLE IF NOT EXISTS experiment_parameters (
  version VARCHAR PRIMARY KEY, seq INTEGER NOT NULL, params JSON NOT NULL, active BOOLEAN NOT NULL, status VARCHAR NOT NULL,
  parent VARCHAR, reason VARCHAR NOT NULL, initiator VARCHAR NOT NULL, experiment_id VARCHAR,
  created_at TIMESTAMP NOT NULL, activated_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS parameter_audit (
  seq INTEGER PRIMARY KEY, changed_at TIMESTAMP NOT NULL, action VARCHAR NOT NULL, version VARCHAR, from_version VARCHAR,
  initiator VARCHAR NOT NULL, experiment_id VARCHAR, reason VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
  id VARCHAR PRIMARY KEY, spec JSON NOT NULL, arm_versions JSON NOT NULL, status VARCHAR NOT NULL, initiator VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL, started_at TIMESTAMP, stopped_at TIMESTAMP, verdict VARCHAR);`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type StoredSpec = Omit<ExperimentSpec, 'file'>;

export interface StoredExperiment extends ExperimentInfo {
  /** Arm name -> parameter version. */
  arm_versions: Record<string, string>;
}

export class TunerStore {
  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(conn: DuckDBConnection): Promise<TunerStore> {
    await conn.run(DDL);
    return new TunerStore(conn);
  }

  /** Runs `fn` in one transaction: all of its writes land, or none. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn();
      await this.conn.run('COMMIT');
      return out;
    } catch (err) {
      await this.conn.run('ROLLBACK');
      throw err;
    }
  }

  async versions(): Promise<ParameterVersion[]> {
    return (await this.select(`SELECT ${VERSION_COLUMNS} FROM experiment_parameters ORDER BY seq`)).map(toVersion);
  }

  async version(id: string): Promise<ParameterVersion | undefined> {
    const [row] = await this.select(`SELECT ${VERSION_COLUMNS} FROM experiment_parameters WHERE version = $id`, { id });
    return row ? toVersion(row) : undefined;
  }

  async nextVersionSeq(): Promise<number> {
    const [row] = await this.select('SELECT coalesce(max(seq), 0) + 1 AS n FROM experiment_parameters');
    return Number(row!.n);
  }

  async insertVersion(v: ParameterVersion, seq: number): Promise<void> {
    await this.conn.run(
      `INSERT INTO experiment_parameters VALUES ($version, $seq, $params::JSON, $active, $status, $parent, $reason, $initiator, $experiment_id, $created_at::TIMESTAMP, $activated_at::TIMESTAMP)`,
      { version: v.version, seq, params: JSON.stringify(v.params), active: v.active, status: v.status, parent: v.parent, reason: v.reason, initiator: v.initiator, experiment_id: v.experiment_id, created_at: iso(v.created_at), activated_at: iso(v.activated_at) },
    );
  }

  async setStatus(version: string, status: VersionStatus, activatedAt?: number): Promise<void> {
    await this.conn.run(
      `UPDATE experiment_parameters SET status = $status, active = $active${activatedAt === undefined ? '' : ', activated_at = $at::TIMESTAMP'} WHERE version = $version`,
      { version, status, active: status === 'active', ...(activatedAt === undefined ? {} : { at: iso(activatedAt) }) },
    );
  }

  async audit(): Promise<AuditEntry[]> {
    const rows = await this.select('SELECT seq, epoch_ms(changed_at) AS changed_at, action, version, from_version, initiator, experiment_id, reason FROM parameter_audit ORDER BY seq');
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.changed_at),
      action: r.action as AuditAction,
      version: (r.version as string | null) ?? null,
      from_version: (r.from_version as string | null) ?? null,
      initiator: String(r.initiator),
      experiment_id: (r.experiment_id as string | null) ?? null,
      reason: String(r.reason),
    }));
  }

  async appendAudit(e: Omit<AuditEntry, 'seq'>): Promise<void> {
    await this.conn.run(
      `INSERT INTO parameter_audit SELECT coalesce(max(seq), 0) + 1, $at::TIMESTAMP, $action, $version, $from_version, $initiator, $experiment_id, $reason FROM parameter_audit`,
      { at: iso(e.at), action: e.action, version: e.version, from_version: e.from_version, initiator: e.initiator, experiment_id: e.experiment_id, reason: e.reason },
    );
  }

  async experiments(): Promise<StoredExperiment[]> {
    return (await this.select(`SELECT ${EXPERIMENT_COLUMNS} FROM experiments ORDER BY created_at, id`)).map(toExperiment);
  }

  async experiment(id: string): Promise<StoredExperiment | undefined> {
    const [row] = await this.select(`SELECT ${EXPERIMENT_COLUMNS} FROM experiments WHERE id = $id`, { id });
    return row ? toExperiment(row) : undefined;
  }

  async insertExperiment(e: StoredExperiment): Promise<void> {
    await this.conn.run(
      `INSERT INTO experiments VALUES ($id, $spec::JSON, $arms::JSON, $status, $initiator, $created_at::TIMESTAMP, $started_at::TIMESTAMP, $stopped_at::TIMESTAMP, $verdict)`,
      { id: e.id, spec: JSON.stringify(e.spec), arms: JSON.stringify(e.arm_versions), status: e.status, initiator: e.initiator, created_at: iso(e.created_at), started_at: iso(e.started_at), stopped_at: iso(e.stopped_at), verdict: e.verdict },
    );
  }

  async setExperimentStatus(id: string, status: ExperimentStatus, at: number): Promise<void> {
    const column = status === 'running' ? 'started_at' : 'stopped_at';
    await this.conn.run(`UPDATE experiments SET status = $status, ${column} = $at::TIMESTAMP WHERE id = $id`, { id, status, at: iso(at) });
  }

  async setExperimentVerdict(id: string, verdict: string): Promise<void> {
    await this.conn.run('UPDATE experiments SET verdict = $verdict WHERE id = $id', { id, verdict });
  }

  private async select(sql: string, values?: Record<string, DuckDBValue>): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[];
  }
}

const VERSION_COLUMNS = 'version, params::VARCHAR AS params, active, status, parent, reason, initiator, experiment_id, epoch_ms(created_at) AS created_at, epoch_ms(activated_at) AS activated_at';
const EXPERIMENT_COLUMNS = 'id, spec::VARCHAR AS spec, arm_versions::VARCHAR AS arm_versions, status, initiator, epoch_ms(created_at) AS created_at, epoch_ms(started_at) AS started_at, epoch_ms(stopped_at) AS stopped_at, verdict';

function toVersion(r: Record<string, unknown>): ParameterVersion {
  return {
    version: String(r.version),
    params: JSON.parse(String(r.params)) as MaasParams,
    active: Boolean(r.active),
    status: r.status as VersionStatus,
    parent: (r.parent as string | null) ?? null,
    reason: String(r.reason),
    initiator: String(r.initiator),
    experiment_id: (r.experiment_id as string | null) ?? null,
    created_at: Number(r.created_at),
    activated_at: ms(r.activated_at),
  };
}

function toExperiment(r: Record<string, unknown>): StoredExperiment {
  return {
    id: String(r.id),
    spec: JSON.parse(String(r.spec)) as StoredSpec,
    arm_versions: JSON.parse(String(r.arm_versions)) as Record<string, string>,
    status: r.status as ExperimentStatus,
    initiator: String(r.initiator),
    created_at: Number(r.created_at),
    started_at: ms(r.started_at),
    stopped_at: ms(r.stopped_at),
    verdict: (r.verdict as ExperimentInfo['verdict']) ?? null,
  };
}
