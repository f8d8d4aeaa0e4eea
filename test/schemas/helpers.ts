import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import { MaasflowError, ValidationErrors, type ErrorCode } from '../../engine/errors.ts';
import { SplitMix32 } from '../../streams/nexmark/prng.ts';

/** Run fn, expect a MaasflowError (or ValidationErrors) with `code` whose text contains every `needle`. Returns the matching error. */
export function expectError(fn: () => unknown, code: ErrorCode, ...needles: string[]): MaasflowError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) assert.unreachable(`expected ${code}, nothing was thrown`);
  const errors = thrown instanceof ValidationErrors ? [...thrown.errors] : thrown instanceof MaasflowError ? [thrown] : [];
  if (errors.length === 0) throw thrown;
  const match = errors.find((e) => e.code === code && needles.every((n) => e.format().includes(n)));
  if (match === undefined) {
    assert.unreachable(`expected ${code} mentioning ${JSON.stringify(needles)}, got:\n${errors.map((e) => e.format()).join('\n')}`);
  }
  return match as MaasflowError;
}

/** A temp folder holding the given files (path -> content; objects are JSON-encoded). */
export function tempRegistry(files: Record<string, string | object>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'maasflow-schemas-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The project's seeded PRNG as a () => [0, 1) function. */
export function prng(seed: number): () => number {
  const rng = new SplitMix32(seed);
  return () => rng.nextDouble();
}

/** A plain-object copy (decoded records are instances of avsc's generated classes). */
export function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}
