import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MaasflowError, type ErrorCode } from '../../../engine/errors.ts';
import type { LogRecordInput } from '../../../streams/log/index.ts';

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-log-${prefix}-`));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function rec(value: string, key: string | null = null, timestamp = 1000, headers?: Record<string, Uint8Array | string>): LogRecordInput {
  return { key: key === null ? null : enc.encode(key), value: enc.encode(value), timestamp, ...(headers ? { headers } : {}) };
}

export function text(b: Uint8Array | null): string | null {
  return b === null ? null : dec.decode(b);
}

/** Run fn and return the MaasflowError it throws (fails when it does not throw one with that code). */
export function expectError(code: ErrorCode, fn: () => unknown): MaasflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MaasflowError && err.code === code) return err;
    throw new Error(`expected ${code}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

export function segFiles(dir: string, topic: string, partition: number): string[] {
  const d = path.join(dir, 'topics', topic, String(partition));
  return fs.readdirSync(d).filter((f) => f.endsWith('.seg')).sort().map((f) => path.join(d, f));
}
