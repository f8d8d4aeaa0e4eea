import type { DuckDBConnection } from '@duckdb/node-api';
import { acquireInstance } from '../../sinks/duckdb/instances.ts';

/**
 * Reads the sensor's DuckDB file from this process (sharing the instance a
 * running sensor sink holds, since DuckDB allows one process per file).
 */
export async function withSensorDb<T>(file: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const lease = await acquireInstance(file, 'sensor-history');
  const conn = await lease.instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    lease.release();
  }
}

export interface SensorSummary {
  runs: number;
  completed: number;
  failed: number;
  /** Runs per client type (`real`, `emulator`). */
  by_client_type: Record<string, number>;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** Rows of inference_log: model calls, failed attempts included. */
  inference_calls: number;
}

/** Counts over sensor_runs and inference_log (absent tables count as empty). */
export async function readSensorSummary(file: string): Promise<SensorSummary> {
  return withSensorDb(file, async (conn) => {
    const tables = new Set((await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'`)).getRowObjectsJS().map((r) => String(r.table_name)));
    const summary: SensorSummary = { runs: 0, completed: 0, failed: 0, by_client_type: {}, latency_p50_ms: null, latency_p95_ms: null, inference_calls: 0 };
    if (tables.has('sensor_runs')) {
      const [row] = (
        await conn.runAndReadAll(`SELECT count(*) AS runs, count(*) FILTER (status = 'COMPLETED') AS completed, count(*) FILTER (status = 'FAILED') AS failed,
          quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.95) AS p95 FROM sensor_runs`)
      ).getRowObjectsJS();
      summary.runs = Number(row!.runs);
      summary.completed = Number(row!.completed);
      summary.failed = Number(row!.failed);
      summary.latency_p50_ms = row!.p50 === null ? null : Number(row!.p50);
      summary.latency_p95_ms = row!.p95 === null ? null : Number(row!.p95);
      for (const r of (await conn.runAndReadAll('SELECT client_type, count(*) AS n FROM sensor_runs GROUP BY client_type ORDER BY client_type')).getRowObjectsJS()) {
        summary.by_client_type[String(r.client_type)] = Number(r.n);
      }
    }
    if (tables.has('inference_log')) summary.inference_calls = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM inference_log')).getRowObjectsJS()[0]!.n);
    return summary;
  });
}
