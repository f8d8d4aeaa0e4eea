import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { runTopology } from '../../engine/runtime.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { LogProvider } from '../../streams/log-provider.ts';
import { loadTopology } from '../../topologies/validate.ts';
import { runCommand } from '../output.ts';
import { seedDemoReadings } from './demo-data.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `maasflow engine-demo`: the engine end to end on its own: Avro records on
 * the embedded log (some malformed, some late) through keyBy + event-time
 * windows into JSONL files and a log topic.
 */
export function registerEngineDemoCommand(program: Command): void {
  program
    .command('engine-demo')
    .description('the engine alone, end to end: Avro readings -> keyed event-time windows -> JSONL and a topic')
    .option('--data-dir <dir>', 'where the demo keeps its log, checkpoints and outputs', '.data/demo')
    .option('--readings <n>', 'readings to produce', '200000')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((o: { dataDir: string; readings: string; jsonMetrics?: string }) =>
      runCommand('engine-demo', o.jsonMetrics, async ({ timer, print }) => {
        const dataDir = path.resolve(o.dataDir);
        fs.rmSync(dataDir, { recursive: true, force: true });
        const schemas = SchemaRegistry.load();
        const file = path.join(ROOT, 'topologies/demo-readings.yaml');
        const { spec } = loadTopology(file, schemas);
        // outputs of the demo file are relative to .data/demo; keep them inside the chosen data dir
        for (const s of spec.sinks) if (s.type === 'jsonl' && s.params) s.params.path = path.join(dataDir, path.basename(String(s.params.path)));

        const logs = new LogProvider(path.join(dataDir, 'log'));
        const say = (line: string): void => print(`${line}\n`);
        try {
          const seeded = seedDemoReadings(logs.acquire(), schemas, { readings: Number(o.readings), seed: 7 });
          say(`1. produced ${seeded.records} Avro readings (schema demo.Reading v1) to topic demo.readings: ${seeded.malformed} malformed, ${seeded.late} late`);
          say(`2. running ${path.relative(process.cwd(), file)}: decode with reader schema v2, key by sensor, 10 s tumbling windows (lateness 1 s)`);
          const s = await runTopology(spec, { schemas, dataDir, logs });
          const count = (f: string): number => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);
          const out = (name: string): string => path.join(dataDir, name);
          say(`3. read ${s.sourceRecords} good records; ${s.deadLetters} malformed records are in topic demo.readings.dlq with their reason, offset and bytes`);
          say(`4. emitted ${count(out('window-stats.jsonl'))} window results -> ${out('window-stats.jsonl')} and topic demo.window-stats`);
          say(`   ${count(out('alerts.jsonl'))} windows with max > 30 -> ${out('alerts.jsonl')}`);
          say(`   ${s.lateRecords} late readings -> ${out('late-readings.jsonl')}`);
          say(`5. ${s.checkpoints} checkpoints (state + offsets together) in ${path.join(dataDir, 'checkpoints', spec.name)}; ${(s.wallMs / 1000).toFixed(2)} s wall, ${(s.cpuMs / 1000).toFixed(2)} s CPU`);
          if (s.deadLetters > 0) timer.warnings.push(`${s.deadLetters} dead letters (planted by the demo)`);
          return { ...s, produced: seeded.records, planted_malformed: seeded.malformed, planted_late: seeded.late };
        } finally {
          logs.closeAll();
        }
      }),
    );
}
