import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectorContext, SourceChunk, SourceConnector } from '../../../engine/connectors.ts';
import { MetricsRegistry } from '../../../engine/metrics.ts';
import { SchemaRegistry } from '../../../schemas/index.ts';
import { LogProvider } from '../../../streams/log-provider.ts';

export const schemas = SchemaRegistry.load();
export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-conn-${prefix}-`));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A connector context over `dir` (the embedded log lives in dir/log); close `logs` when done. */
export function makeContext(dir: string, id = 'c', topology = 'test'): ConnectorContext & { logs: LogProvider } {
  return { topology, id, dataDir: dir, logs: new LogProvider(path.join(dir, 'log')), schemas, metrics: new MetricsRegistry() };
}

/** Polls (sync or async connectors alike). */
export async function poll(source: SourceConnector, max: number): Promise<SourceChunk> {
  return await source.poll(max);
}

/** Polls until the source says end (or `limit` polls, a guard against a source that never ends). */
export async function drain(source: SourceConnector, max: number, limit = 100_000): Promise<SourceChunk[]> {
  const chunks: SourceChunk[] = [];
  for (let i = 0; i < limit; i++) {
    const c = await source.poll(max);
    chunks.push(c);
    if (c.end) return chunks;
  }
  throw new Error(`source did not end within ${limit} polls`);
}

export function bytesText(v: unknown): string {
  if (!(v instanceof Uint8Array)) throw new Error(`expected bytes, got ${typeof v}`);
  return dec.decode(v);
}
