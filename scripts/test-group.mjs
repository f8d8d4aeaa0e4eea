// Runs several uvu test files in one process (one summary, as the uvu CLI does): `npm test` groups the
// QMPT library's small test files by folder, so that they pay the process start (tsx, c8) once per folder.
import path from 'node:path';
import { run } from 'uvu/run';

await run(process.argv.slice(2).map((file) => ({ name: path.basename(file), file: path.resolve(file) })));
