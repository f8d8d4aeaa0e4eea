import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedLog } from '../../../streams/log/index.ts';
import { CRASH_PARTITIONS, CRASH_TOPIC, expectedKey, expectedValue } from './fixtures/crash-records.ts';
import { rmDir, text, tmpDir } from './helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const dec = new TextDecoder();

interface Progress {
  appended: number[];
  committed: number[];
  lines: number;
}

/** Run the writer until it has printed `killAfter` lines, then SIGKILL it. */
async function runAndKill(dir: string, killAfter: number): Promise<Progress> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'crash-writer.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const progress: Progress = { appended: Array(CRASH_PARTITIONS).fill(-1), committed: Array(CRASH_PARTITIONS).fill(-1), lines: 0 };
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const rl = readline.createInterface({ input: child.stdout });
  for await (const line of rl) {
    const [kind, p, off] = line.split(' ');
    if (kind === 'A') progress.appended[Number(p)] = Number(off);
    else if (kind === 'C') progress.committed[Number(p)] = Number(off);
    if (++progress.lines === killAfter) {
      child.kill('SIGKILL');
      break;
    }
  }
  rl.close();
  assert.is(await exited, 'SIGKILL', 'writer was killed, not finished');
  return progress;
}

function verify(dir: string, progress: Progress, round: number): void {
  const log = EmbeddedLog.open(dir);
  try {
    const notes = log.recoveryNotes();
    if (notes.length > 0) console.log(`  round ${round}: recovery notes`, notes);
    for (let p = 0; p < CRASH_PARTITIONS; p++) {
      const end = log.endOffset(CRASH_TOPIC, p);
      assert.ok(end > progress.appended[p], `partition ${p}: end ${end} <= last reported offset ${progress.appended[p]}`);
      let next = 0;
      for (;;) {
        const batch = log.read(CRASH_TOPIC, p, next, 5000);
        if (batch.length === 0) break;
        for (const r of batch) {
          assert.is(r.offset, next, `partition ${p}: offsets contiguous`);
          assert.is(dec.decode(r.value), dec.decode(expectedValue(p, r.offset)));
          const k = expectedKey(p, r.offset);
          assert.is(text(r.key), k === null ? null : dec.decode(k));
          assert.is(r.timestamp, r.offset);
          next++;
        }
      }
      assert.is(next, end, `partition ${p}: read everything up to end`);
      const committed = log.committedOffsets('g', CRASH_TOPIC)[p] ?? -1;
      assert.ok(committed >= progress.committed[p], `partition ${p}: commit ${committed} < reported ${progress.committed[p]}`);
      assert.ok(committed < end);
    }
  } finally {
    log.close();
  }
}

test('SIGKILL at random points: every reported record and commit survives, offsets stay contiguous', async () => {
  const dir = tmpDir('crash');
  try {
    for (let round = 1; round <= 4; round++) {
      const killAfter = 50 + Math.floor(Math.random() * 400);
      const progress = await runAndKill(dir, killAfter);
      verify(dir, progress, round);
      console.log(`  round ${round}: killed after ${progress.lines} lines; ends reported ${progress.appended.join(',')}`);
    }
  } finally {
    rmDir(dir);
  }
});

test.run();
