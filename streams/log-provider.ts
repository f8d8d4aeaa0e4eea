import path from 'node:path';
import { EmbeddedLog } from './log/index.ts';

/**
 * One EmbeddedLog per directory per process: sources, sinks and dead-letter
 * topics of a topology share it (the log directory lock allows one owner).
 */
export class LogProvider {
  private readonly open = new Map<string, { log: EmbeddedLog; refs: number }>();

  constructor(private readonly defaultDir: string) {}

  acquire(dir?: string): EmbeddedLog {
    const key = path.resolve(dir ?? this.defaultDir);
    const entry = this.open.get(key);
    if (entry) {
      entry.refs++;
      return entry.log;
    }
    const log = EmbeddedLog.open(key);
    this.open.set(key, { log, refs: 1 });
    return log;
  }

  release(log: EmbeddedLog): void {
    for (const [key, entry] of this.open) {
      if (entry.log !== log) continue;
      if (--entry.refs === 0) {
        entry.log.close();
        this.open.delete(key);
      }
      return;
    }
  }

  /** Applies each topic's retention (time / bytes) on every open log; returns segment files deleted. */
  enforceRetention(nowMs = Date.now()): number {
    let deleted = 0;
    for (const entry of this.open.values()) deleted += entry.log.enforceRetention(nowMs);
    return deleted;
  }

  closeAll(): void {
    for (const entry of this.open.values()) entry.log.close();
    this.open.clear();
  }
}
