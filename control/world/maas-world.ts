/**
 * The real world: the emulator's dialogues through a running MaaS (its
 * HTTP API or the host directly), the sensor's sensor_runs as the record,
 * and the degradation alerts the sensor topology writes to control.alerts.
 * A plan's `runs` are emulator dialogues here (about seven runs each).
 */
import { runEmulator, type ChatFn } from '../../streams/emulator/index.ts';
import type { MaasHost } from '../../streams/maas/host.ts';
import type { DegradationAlert } from '../types.ts';
import type { TrafficPlan, TrafficResult, World } from './world.ts';

export const ALERTS_TOPIC = 'control.alerts';

export interface MaasWorldOptions {
  /** How requests reach the MaaS (default: the host's own chat; pass an HTTP client to go through the API). */
  chat?: ChatFn;
  /** Users talking at once (default 8). */
  concurrency?: number;
  /** Called after every emulated turn (progress). */
  onTurn?: () => void;
}

export class MaasWorld implements World {
  readonly name = 'maas';
  readonly sensorFile: string;
  readonly paramsFile: string;
  private alertPositions: number[] = [];
  private calls = 0;

  constructor(
    private readonly host: MaasHost,
    private readonly o: MaasWorldOptions = {},
  ) {
    this.sensorFile = host.paths.sensor;
    this.paramsFile = host.paths.params;
    // alerts written before this world existed belong to earlier runs
    this.alertPositions = host.readJsonSince<DegradationAlert>(ALERTS_TOPIC, []).positions;
  }

  async run(plan: TrafficPlan): Promise<TrafficResult> {
    const call = this.calls++;
    const from = Date.now();
    const report = await runEmulator({
      seed: plan.seed * 1000 + plan.cycle * 10 + (call % 10),
      dialogues: plan.runs,
      chat: this.o.chat ?? ((r) => this.host.chat(r)),
      concurrency: this.o.concurrency ?? 8,
      label: `c${plan.cycle}k${call}`,
      tags: { cycle_type: plan.cycleType },
      onTurn: this.o.onTurn,
      signal: plan.signal,
    });
    await this.host.settle();
    const tail = this.host.readJsonSince<DegradationAlert>(ALERTS_TOPIC, this.alertPositions);
    this.alertPositions = tail.positions;
    return { runs: report.turns, from, to: Date.now() + 1, alerts: tail.records };
  }

  async close(): Promise<void> {
    // the host belongs to whoever started it
  }
}
