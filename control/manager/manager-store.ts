/**
 * The Manager's tables in control.duckdb: cycle records (what each cycle
 * did, as JSON), approvals (the manual-approval zone) and written reports.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Approval, CycleRecord, ReportInfo } from '../types.ts';

const DDL = `
CREATE TABLE IF NOT EXISTS manager_cycles (cycle INTEGER PRIMARY KEY, type VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP NOT NULL, record JSON NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL, approval JSON NOT NULL);
CREATE TABLE IF NOT EXISTS reports (cycle INTEGER PRIMARY KEY, info JSON NOT NULL);`;

const iso = (ms: number): string => new Date(ms).toISOString();

export class ManagerStore {
  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(conn: DuckDBConnection): Promise<ManagerStore> {
    await conn.run(DDL);
    return new ManagerStore(conn);
  }

  async cycles(): Promise<CycleRecord[]> {
    return this.json<CycleRecord>('SELECT record::VARCHAR AS j FROM manager_cycles ORDER BY cycle');
  }

  async nextCycle(): Promise<number> {
    const [row] = (await this.conn.runAndReadAll('SELECT coalesce(max(cycle), 0) + 1 AS n FROM manager_cycles')).getRowObjectsJS();
    return Number(row!.n);
  }

  async saveCycle(r: CycleRecord): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO manager_cycles VALUES ($cycle, $type, $s::TIMESTAMP, $e::TIMESTAMP, $r::JSON)', { cycle: r.cycle, type: r.type, s: iso(r.started_at), e: iso(r.ended_at), r: JSON.stringify(r) });
  }

  async approvals(): Promise<Approval[]> {
    return this.json<Approval>('SELECT approval::VARCHAR AS j FROM approvals ORDER BY created_at, id');
  }

  async approval(id: string): Promise<Approval | undefined> {
    return (await this.json<Approval>('SELECT approval::VARCHAR AS j FROM approvals WHERE id = $id', { id }))[0];
  }

  async saveApproval(a: Approval): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO approvals VALUES ($id, $at::TIMESTAMP, $status, $a::JSON)', { id: a.id, at: iso(a.created_at), status: a.status, a: JSON.stringify(a) });
  }

  async reports(): Promise<ReportInfo[]> {
    return this.json<ReportInfo>('SELECT info::VARCHAR AS j FROM reports ORDER BY cycle');
  }

  async saveReport(r: ReportInfo): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO reports VALUES ($cycle, $info::JSON)', { cycle: r.cycle, info: JSON.stringify(r) });
  }

  private async json<T>(sql: string, values?: Record<string, DuckDBValue>): Promise<T[]> {
    return (await this.conn.runAndReadAll(sql, values)).getRowObjectsJS().map((r) => JSON.parse(String(r.j)) as T);
  }
}
