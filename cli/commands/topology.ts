import type { Command } from 'commander';
import { runTopology } from '../../engine/runtime.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { describeTopology, renderDescription } from '../../topologies/describe.ts';
import { loadTopology } from '../../topologies/validate.ts';
import { runCommand } from '../output.ts';

interface CommonOptions { jsonMetrics?: string; schemas?: string }
interface RunCliOptions extends CommonOptions { dataDir?: string; fresh?: boolean; checkpointDir?: string; batchSize?: string }

export function registerTopologyCommands(program: Command): void {
  program
    .command('validate')
    .argument('<file>', 'topology file (YAML or JSON)')
    .description('check a topology file; errors name file, line and path')
    .option('--schemas <dir>', 'schema directory (default: the bundled schemas/)')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((file: string, o: CommonOptions) =>
      runCommand('validate', o.jsonMetrics, async ({ print }) => {
        const { spec } = loadTopology(file, SchemaRegistry.load(o.schemas));
        print(`${file}: ok (${spec.sources.length} sources, ${spec.operators?.length ?? 0} operators, ${spec.sinks.length} sinks)\n`);
        return { valid: true, sources: spec.sources.length, operators: spec.operators?.length ?? 0, sinks: spec.sinks.length };
      }),
    );

  program
    .command('describe')
    .argument('<file>', 'topology file')
    .description('print nodes, edges, keys, windows and parallelism')
    .option('--json', 'print the description as JSON')
    .option('--schemas <dir>', 'schema directory')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((file: string, o: CommonOptions & { json?: boolean }) =>
      runCommand('describe', o.jsonMetrics, async ({ print }) => {
        const { spec } = loadTopology(file, SchemaRegistry.load(o.schemas));
        const d = describeTopology(spec);
        print(o.json ? `${JSON.stringify(d, null, 2)}\n` : `${renderDescription(d)}\n`);
        return { nodes: d.nodes.length, edges: d.edges.length };
      }),
    );

  program
    .command('run')
    .argument('<file>', 'topology file')
    .description('run a topology (resumes from its last checkpoint)')
    .option('--data-dir <dir>', 'embedded log and checkpoints', '.data')
    .option('--checkpoint-dir <dir>', 'checkpoint directory (default DATA/checkpoints/NAME)')
    .option('--fresh', 'discard the checkpoint and start over')
    .option('--batch-size <n>', 'records per batch')
    .option('--schemas <dir>', 'schema directory')
    .option('--json-metrics <path|->', 'write the metrics report')
    .action((file: string, o: RunCliOptions) =>
      runCommand('run', o.jsonMetrics, async ({ timer, print }) => {
        const schemas = SchemaRegistry.load(o.schemas);
        const { spec } = loadTopology(file, schemas);
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const s = await runTopology(spec, {
            schemas,
            dataDir: o.dataDir,
            checkpointDir: o.checkpointDir,
            fresh: o.fresh,
            batchSize: o.batchSize ? Number(o.batchSize) : undefined,
            signal: stop.signal,
          });
          if (s.deadLetters > 0) timer.warnings.push(`${s.deadLetters} records went to the dead-letter topic`);
          if (s.lateRecords > 0) timer.warnings.push(`${s.lateRecords} late records were routed to late outputs`);
          process.stderr.write(
            `${spec.name}: ${s.completed ? 'completed' : 'stopped'}; ${s.sourceRecords} records in, ${s.sinkRecords} written, ` +
              `${s.deadLetters} dead letters, ${s.lateRecords} late; ${s.checkpoints} checkpoints` +
              `${s.restoredFromEpoch !== null ? ` (resumed from checkpoint ${s.restoredFromEpoch})` : ''}; ${(s.wallMs / 1000).toFixed(2)} s\n`,
          );
          return { ...s };
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      }),
    );
}
