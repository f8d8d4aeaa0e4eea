// `npm test`: typecheck, then every uvu test file under c8 coverage, then the
// closing line CI reads: "N passed, N failed".
// `npm run test:long` (--long) also runs the soak/fuzz/kill-loop files in test/long/.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const long = process.argv.includes('--long');
// --only DIR: just the test files under DIR (e.g. the Kafka suite against KAFKA_BROKERS), no coverage threshold
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function findTests(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'fixtures' || (entry.name === 'long' && !long)) continue;
      out.push(...findTests(full));
    } else if (entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

fs.rmSync(path.join(root, 'coverage'), { recursive: true, force: true });
const tc = spawnSync(bin('tsc'), ['--noEmit', '-p', root], { stdio: 'inherit' });
const typecheckFailed = tc.status !== 0;
if (typecheckFailed) console.error('typecheck failed');

let passed = 0;
let failed = typecheckFailed ? 1 : 0;
const files = findTests(path.join(root, only ?? 'test'));
const started = Date.now();
// Two files at a time on the 2-core CI machine: most files spend much of their time waiting
// (process start, brokers, children, fsync), so the suite's wall time drops well below the
// sequential sum. TEST_JOBS=1 runs them one by one.
const jobs = Math.max(1, Number(process.env.TEST_JOBS ?? 2));

// The QMPT library's tests are many small files of pure computation whose time is mostly the
// process start (tsx, c8: ~8 s each here): they run one process per folder (scripts/test-group.mjs).
const GROUPED = path.join(root, 'test', 'qmpt') + path.sep;

/** Test units: a file, or the files of one folder under test/qmpt/ (each unit: [label, files]). */
function units(list) {
  const out = [];
  const groups = new Map();
  for (const file of list) {
    if (!file.startsWith(GROUPED)) {
      out.push([file, [file]]);
      continue;
    }
    const dir = path.dirname(file) + path.sep;
    if (!groups.has(dir)) out.push([dir, (groups.set(dir, []), groups.get(dir))]);
    groups.get(dir).push(file);
  }
  return out;
}

/** One unit in its own process under c8: a crash or a leaked handle stays contained; c8 merges coverage. */
function runFile([file, members]) {
  const t0 = Date.now();
  const command = members.length === 1 ? [members[0]] : [path.join(root, 'scripts', 'test-group.mjs'), ...members];
  return new Promise((resolve) => {
    const child = spawn(bin('c8'), ['--clean=false', '--reporter=none', process.execPath, '--import', 'tsx', ...command], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', MAASFLOW_LOG_LEVEL: process.env.MAASFLOW_LOG_LEVEL ?? 'silent' },
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (status) => resolve({ file, status, out: Buffer.concat(chunks).toString('utf8'), secs: (Date.now() - t0) / 1000 }));
  });
}

function record({ file, status, out, secs }) {
  const rel = path.relative(root, file);
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
  let fileFailed = total - ok;
  if (status !== 0 && fileFailed === 0) fileFailed = 1; // crashed before or after its tests
  passed += ok;
  failed += fileFailed;
  console.log(`${fileFailed ? 'FAIL' : 'ok  '} ${rel}${file.endsWith(path.sep) ? path.sep + '*' : ''} (${ok}/${Math.max(total, ok + fileFailed)}, ${secs.toFixed(1)}s)`);
  if (fileFailed) console.log(out.split('\n').map((l) => `    ${l}`).join('\n'));
}

const queue = units(files);
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) record(await runFile(file));
  }),
);
console.log(`\n${files.length} test files in ${((Date.now() - started) / 1000).toFixed(0)} s`);

const report = spawnSync(bin('c8'), ['report', '--reporter=text-summary', ...(only ? [] : ['--check-coverage', '--lines', '70'])], { cwd: root, encoding: 'utf8' });
process.stdout.write(report.stdout ?? '');
if (report.status !== 0) {
  console.error(`coverage below threshold\n${report.stderr ?? ''}`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
