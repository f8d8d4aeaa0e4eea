import type { SchemaRegistry } from '../../../schemas/index.ts';
import { EmbeddedLog } from '../../../streams/log/embedded-log.ts';

/** run id -> terminal state (COMPLETED / FAILED) of every run that ended on the pipeline_runs topic of a log directory. */
export function terminalRuns(logDir: string, schemas: SchemaRegistry): Map<string, string> {
  const log = EmbeddedLog.open(logDir);
  const decode = schemas.decoder('maas.PipelineRunEvent@1');
  const out = new Map<string, string>();
  try {
    for (let p = 0; p < log.topicConfig('pipeline_runs').partitions; p++) {
      for (let from = 0; ; ) {
        const records = log.read('pipeline_runs', p, from, 4096);
        if (records.length === 0) break;
        from = records.at(-1)!.offset + 1;
        for (const r of records) {
          const e = decode(r.value);
          if (!e.ok) throw new Error(e.reason);
          const { run_id, state } = e.value as { run_id: string; state: string };
          if (state === 'COMPLETED' || state === 'FAILED') out.set(run_id, state);
        }
      }
    }
  } finally {
    log.close();
  }
  return out;
}
