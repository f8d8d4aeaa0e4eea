// `npm run bench` runs every benchmark; `npm run bench -- NAME` one of them.
// Each writes bench/results/NAME.json and prints a table.
import { printTable, writeResults, type BenchRow } from './result.ts';

const BENCHES: Record<string, () => Promise<{ run(): Promise<BenchRow[]> }>> = {
  nexmark: () => import('./nexmark.ts'),
  kafka: () => import('./kafka.ts'),
  sensor: () => import('./sensor.ts'),
  stats: () => import('./stats.ts'),
  maas: () => import('./maas.ts'),
  teacher: () => import('./teacher.ts'),
  inference: () => import('./inference.ts'),
  qmpt: () => import('./qmpt.ts'),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = names.length > 0 ? names : Object.keys(BENCHES);
for (const name of selected) {
  const load = BENCHES[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  console.log(`== ${name}`);
  const rows = await (await load()).run();
  printTable(rows);
  console.log(`wrote ${writeResults(name, rows)}`);
}
