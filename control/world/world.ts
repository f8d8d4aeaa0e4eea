/**
 * Where the control loop's traffic comes from and goes to: a world sends
 * runs through the MaaS (or a simulation of it) under whatever the parameter
 * file says at that moment (active version, running experiment) and lets the
 * sensor record them in `sensor_runs`, which is all the Teacher reads.
 */
import type { CycleType, DegradationAlert } from '../types.ts';

export interface TrafficPlan {
  cycle: number;
  cycleType: CycleType;
  /** How much traffic: runs (synthetic) or the equivalent in dialogues (MaaS emulator; see each world). */
  runs: number;
  seed: number;
  /** Aborts the traffic: the world stops sending and returns what the sensor recorded so far. */
  signal?: AbortSignal;
}

export interface TrafficResult {
  /** Runs the sensor recorded for this traffic. */
  runs: number;
  /** The sensor's ended_at range of these runs (epoch ms, [from, to)): the Teacher's filter for the cycle. */
  from: number;
  to: number;
  /** Degradation alerts the watch raised while this traffic ran. */
  alerts: DegradationAlert[];
}

export interface World {
  readonly name: string;
  /** The sensor's DuckDB file (table sensor_runs). */
  readonly sensorFile: string;
  /** The parameter file the MaaS reads (the Tuner writes it). */
  readonly paramsFile: string;
  /** Sends the traffic and resolves once the sensor has recorded all of it. */
  run(plan: TrafficPlan): Promise<TrafficResult>;
  close(): Promise<void>;
}
