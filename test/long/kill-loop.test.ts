import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { killLoopMatches } from '../engine/crash-harness.ts';

// npm run test:long: the crash test at soak scale (more input, many more kills, other seeds).
for (const seed of [1, 2]) {
  test(`kill loop (seed ${seed}): 25 SIGKILLs at random points, outputs identical to an uninterrupted run`, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-killloop-'));
    try {
      await killLoopMatches(root, { records: 1_000_000, kills: 25, seed });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}

test.run();
