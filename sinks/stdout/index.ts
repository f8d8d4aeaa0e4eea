import { defineSink } from '../../engine/connectors.ts';

interface StdoutParams { limit?: number }

/** Prints values as JSON lines (demos). Not transactional: a replay prints again. */
export const stdoutSink = defineSink<StdoutParams>({
  type: 'stdout',
  summary: 'Print values as JSON lines (not exactly-once)',
  paramsSchema: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 0 } } },
  create(p) {
    let printed = 0;
    const limit = p.limit ?? Infinity;
    return {
      async open() {},
      write(batch) {
        let text = '';
        for (const v of batch.values) {
          if (printed >= limit) break;
          text += JSON.stringify(v) + '\n';
          printed++;
        }
        if (text) process.stdout.write(text);
      },
      flush: () => null,
      close() {},
    };
  },
});
