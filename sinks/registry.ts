import type { SinkDefinition } from '../engine/connectors.ts';
import { blackholeSink } from './blackhole/index.ts';
import { duckdbSink } from './duckdb/index.ts';
import { jsonlSink } from './jsonl/index.ts';
import { logSink } from './log/index.ts';
import { stdoutSink } from './stdout/index.ts';
import { kafkaSink } from './kafka/index.ts';

/** Every sink type a topology may name (SSE registers here too). */
const sinks = new Map<string, SinkDefinition>();

export function registerSink(def: SinkDefinition): void {
  if (sinks.has(def.type)) throw new Error(`sink type "${def.type}" is registered twice`);
  sinks.set(def.type, def);
}
export function sinkDefinition(type: string): SinkDefinition | undefined {
  return sinks.get(type);
}
export function sinkTypes(): string[] {
  return [...sinks.keys()].sort();
}

for (const def of [blackholeSink, duckdbSink, jsonlSink, kafkaSink, logSink, stdoutSink]) registerSink(def);
