import type { SourceDefinition } from '../engine/connectors.ts';
import { logSource } from './connectors/log/index.ts';
import { nexmarkSource } from './connectors/nexmark/index.ts';
import { replaySource } from './connectors/replay/index.ts';
import { kafkaSource } from './connectors/kafka/index.ts';

/** Every source type a topology may name (Kafka registers here too). */
const sources = new Map<string, SourceDefinition>();

export function registerSource(def: SourceDefinition): void {
  if (sources.has(def.type)) throw new Error(`source type "${def.type}" is registered twice`);
  sources.set(def.type, def);
}
export function sourceDefinition(type: string): SourceDefinition | undefined {
  return sources.get(type);
}
export function sourceTypes(): string[] {
  return [...sources.keys()].sort();
}

for (const def of [kafkaSource, logSource, nexmarkSource, replaySource]) registerSource(def);
