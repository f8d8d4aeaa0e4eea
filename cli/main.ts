import { Command } from 'commander';
import { registerTopologyCommands } from './commands/topology.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerEmulateCommand } from './commands/emulate.ts';
import { registerEngineDemoCommand } from './commands/engine-demo.ts';
import { registerLogCommands } from './commands/log.ts';
import { registerTeacherCommands } from './commands/teacher.ts';
import { provenance } from './metrics-contract.ts';

const program = new Command();
program.name('maasflow').description('Batch stream processing on RxJS with an embedded crash-safe log, and the MaaS self-learning system on it').version(provenance().version);
registerTopologyCommands(program);
registerStartCommand(program);
registerEmulateCommand(program);
registerEngineDemoCommand(program);
registerLogCommands(program);
registerTeacherCommands(program);
await program.parseAsync(process.argv);
