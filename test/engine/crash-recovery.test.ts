import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { killLoopMatches } from './crash-harness.ts';

test('a topology SIGKILLed 6 times at random points ends with exactly the sink contents of an uninterrupted run', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-crash-'));
  try {
    await killLoopMatches(root, { records: 200_000, kills: 6, seed: 77 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
