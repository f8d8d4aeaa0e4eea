import type { SchemaRegistry } from '../../schemas/index.ts';
import type { EmbeddedLog, LogRecordInput } from '../../streams/log/index.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';

export interface DemoSeedResult { records: number; malformed: number; late: number }

/**
 * Writes seeded sensor readings (Avro, schema demo.Reading v1) to the topic
 * demo.readings (2 partitions, keyed by sensor): about 1 in 200 records is
 * malformed bytes and about 1 in 500 arrives a minute late.
 */
export function seedDemoReadings(log: EmbeddedLog, schemas: SchemaRegistry, o: { readings: number; seed: number }): DemoSeedResult {
  const rng = new SplitMix32(o.seed);
  const rand = (): number => rng.nextDouble();
  const encode = schemas.encoder('demo.Reading@1');
  if (!log.hasTopic('demo.readings')) log.createTopic('demo.readings', { partitions: 2 });
  const base = 1_700_000_000_000;
  let malformed = 0;
  let late = 0;
  const batch: LogRecordInput[] = [];
  for (let i = 0; i < o.readings; i++) {
    const sensor = `sensor-${Math.floor(rand() * 20)}`;
    let ts = base + i * 10 + Math.floor(rand() * 1500);
    if (rand() < 0.002) {
      ts -= 60_000;
      late++;
    }
    let value: Uint8Array = encode({ sensor, value: Math.round((20 + rand() * 12) * 100) / 100, ts });
    if (rand() < 0.005) {
      value = value.subarray(0, Math.max(1, Math.floor(value.length / 2)));
      malformed++;
    }
    batch.push({ key: Buffer.from(sensor), value, timestamp: ts });
    if (batch.length === 4096) log.appendByKey('demo.readings', batch.splice(0));
  }
  if (batch.length) log.appendByKey('demo.readings', batch);
  log.flush();
  return { records: o.readings, malformed, late };
}
