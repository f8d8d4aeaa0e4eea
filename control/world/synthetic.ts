/**
 * A fast, seeded stand-in for MaaS + emulator + sensor: each simulated run
 * takes its parameter version exactly as the pipeline's intake would (the
 * parameter file through FileParamSource, experiment arms by hash of the
 * user), draws what happened from the response surface (surface.ts), and is
 * appended to `sensor_runs` with the sensor's columns. The Teacher, Tuner
 * and Manager cannot tell it from the real thing, which is what lets a test
 * compare the loop with an exhaustive grid search over the same world.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { makeBatch } from '../../engine/batch.ts';
import { FileParamSource } from '../../operators/maas/param-source.ts';
import type { MaasParams } from '../../operators/maas/types.ts';
import { SENSOR_COLUMNS, type SensorRow } from '../../operators/sensor/sensor.ts';
import { ChunkFiller, declaredColumns } from '../../sinks/duckdb/columns.ts';
import { acquireInstance, type InstanceLease } from '../../sinks/duckdb/instances.ts';
import { SplitMix32, hashSeed } from '../../streams/nexmark/prng.ts';
import type { DegradationAlert } from '../types.ts';
import { drawRun, latents, type Latents } from './surface.ts';
import type { TrafficPlan, TrafficResult, World } from './world.ts';

/** Anything that watches sensor rows as they are recorded (the degradation monitor). */
export interface RowWatch {
  push(row: SensorRow): DegradationAlert[];
}

export interface SyntheticWorldOptions {
  sensorFile: string;
  paramsFile: string;
  /** Simulated runs per user (default 5). */
  runsPerUser?: number;
  /** Virtual clock start (epoch ms; default 2026-01-01) and spacing of runs (default 50 ms). */
  clockStart?: number;
  spacingMs?: number;
  watch?: RowWatch;
}

export class SyntheticWorld implements World {
  readonly name = 'synthetic';
  readonly sensorFile: string;
  readonly paramsFile: string;
  private readonly source: FileParamSource;
  private clock: number;
  private calls = 0;
  private readonly runsPerUser: number;
  private readonly spacing: number;
  private readonly watch: RowWatch | undefined;
  private readonly filler = new ChunkFiller(declaredColumns({ columns: SENSOR_COLUMNS, key: ['run_id'] }, 'synthetic world'), 'synthetic world: table sensor_runs');
  /** Latents per distinct parameter set (JSON), computed once. */
  private readonly latentsCache = new Map<string, Latents>();

  private constructor(
    o: SyntheticWorldOptions,
    private readonly lease: InstanceLease,
    private readonly conn: DuckDBConnection,
  ) {
    this.sensorFile = o.sensorFile;
    this.paramsFile = o.paramsFile;
    this.source = new FileParamSource(o.paramsFile);
    this.clock = o.clockStart ?? Date.UTC(2026, 0, 1);
    this.runsPerUser = o.runsPerUser ?? 5;
    this.spacing = o.spacingMs ?? 50;
    this.watch = o.watch;
  }

  static async open(o: SyntheticWorldOptions): Promise<SyntheticWorld> {
    const lease = await acquireInstance(o.sensorFile, 'synthetic-world');
    const conn = await lease.instance.connect();
    const columns = Object.entries(SENSOR_COLUMNS).map(([c, t]) => `${c} ${t}`);
    await conn.run(`CREATE TABLE IF NOT EXISTS sensor_runs (${columns.join(', ')}, PRIMARY KEY (run_id))`);
    // continue the virtual clock after what an earlier world wrote
    const [row] = (await conn.runAndReadAll('SELECT epoch_ms(max(ended_at)) AS last FROM sensor_runs')).getRowObjectsJS();
    const world = new SyntheticWorld(o, lease, conn);
    if (row?.last !== null && row?.last !== undefined) world.clock = Math.max(world.clock, Number(row.last) + (o.spacingMs ?? 50));
    return world;
  }

  async run(plan: TrafficPlan): Promise<TrafficResult> {
    // the n-th traffic of this world: several per cycle (exploration, confirmation) must not share runs or users
    const call = this.calls++;
    const rng = new SplitMix32(hashSeed(hashSeed(plan.seed, plan.cycle), call));
    const u = (): number => rng.nextDouble();
    const from = this.clock;
    const rows: SensorRow[] = [];
    const alerts: DegradationAlert[] = [];
    for (let i = 0; i < plan.runs && !plan.signal?.aborted; i++) {
      // let a stop request (an HTTP call) in now and then
      if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve));
      const user = `c${plan.cycle}-k${call}-s${plan.seed}-u${Math.floor(i / this.runsPerUser)}`;
      const thread = `${user}-t0`;
      const chosen = this.source.forRequest({ user_id: user, thread_id: thread, message: 'simulated' });
      const l = this.latentsOf(chosen.version.params);
      const draw = drawRun(l, u);
      const ended = this.clock;
      this.clock += this.spacing;
      const runId = `syn-${plan.seed}-${plan.cycle}-${call}-${i}`;
      const golden = draw.question ? `f:${runId}` : null;
      const keys = [...(draw.hit ? [golden!] : []), ...Array.from({ length: draw.distractors }, (_, d) => `d:${runId}:${d}`)];
      const goldenAnswer = draw.question ? `zq${(rng.nextU32() % 100000).toString(36)}` : null;
      const answer = draw.failed ? null : draw.outcome === 'correct' ? `It is ${goldenAnswer}.` : draw.outcome === 'unknown' ? "I don't know." : draw.outcome === 'wrong' ? 'It is something else.' : 'Noted.';
      const retrieved = draw.failed ? 0 : l.kEff;
      const row: SensorRow = {
        run_id: runId,
        thread_id: thread,
        user_id: user,
        client_type: 'emulator',
        param_version: chosen.version.version,
        experiment_id: chosen.experiment_id,
        variant: chosen.variant,
        cycle_type: plan.cycleType,
        started_at: ended - draw.latencyMs,
        ended_at: ended,
        latency_ms: draw.latencyMs,
        prompt_tokens: draw.promptTokens,
        completion_tokens: draw.completionTokens,
        memories_found: retrieved,
        memories_retrieved: retrieved,
        memories_used: draw.failed ? 0 : draw.used,
        retrieved_memory_ids: Array.from({ length: retrieved }, (_, m) => `m:${runId}:${m}`),
        retrieved_fact_keys: draw.failed ? [] : keys,
        golden_fact_keys: golden ? [golden] : [],
        golden_answer: goldenAnswer,
        answer,
        status: draw.failed ? 'FAILED' : 'COMPLETED',
        error: draw.failed ? 'context overflow (simulated)' : null,
        attempts: 1,
        transitions: draw.failed ? 3 : 7,
      };
      rows.push(row);
      if (this.watch) alerts.push(...this.watch.push(row));
    }
    await this.append(rows);
    return { runs: rows.length, from, to: this.clock, alerts };
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.lease.release();
  }

  private latentsOf(params: MaasParams): Latents {
    const key = JSON.stringify(params);
    let l = this.latentsCache.get(key);
    if (!l) this.latentsCache.set(key, (l = latents(params)));
    return l;
  }

  private async append(rows: SensorRow[]): Promise<void> {
    if (rows.length === 0) return;
    const chunks = this.filler.fill(makeBatch(rows, new Float64Array(rows.map((r) => r.ended_at)), null, Number.POSITIVE_INFINITY));
    const appender: DuckDBAppender = await this.conn.createAppender('sensor_runs');
    try {
      for (const chunk of chunks) appender.appendDataChunk(chunk);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
}
