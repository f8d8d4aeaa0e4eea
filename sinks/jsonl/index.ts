import fs from 'node:fs';
import path from 'node:path';
import { defineSink } from '../../engine/connectors.ts';
import { MaasflowError } from '../../engine/errors.ts';

interface JsonlSinkParams { path: string; mode?: 'overwrite' | 'append'; shape?: 'value' | 'record' }

/**
 * JSON Lines file. Transactional: the checkpoint stores the file length and a
 * restore truncates what was written after it, so a replay after a crash
 * leaves the file exactly as an uninterrupted run would.
 * shape `value` writes the value; `record` writes {key, timestamp, value}.
 * JSON has no NaN or Infinity: such numbers are written as null (use an
 * Avro `log` sink to keep them).
 */
export const jsonlSink = defineSink<JsonlSinkParams>({
  type: 'jsonl',
  summary: 'JSON Lines file (exactly-once with checkpoints)',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1 }, mode: { enum: ['overwrite', 'append'] }, shape: { enum: ['value', 'record'] } },
  },
  create(p) {
    const file = path.resolve(p.path);
    let fd = -1;
    const asRecord = p.shape === 'record';
    return {
      async open(restore) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        try {
          fd = fs.openSync(file, 'a+');
        } catch (err) {
          throw new MaasflowError('CONFIG', `jsonl sink: cannot open ${file}: ${(err as Error).message}`, { cause: err });
        }
        if (typeof restore === 'number') {
          const size = fs.fstatSync(fd).size;
          if (size < restore) {
            throw new MaasflowError('CHECKPOINT_MISMATCH', `jsonl sink: ${file} holds ${size} bytes but the checkpoint says ${restore} were written: it was changed outside the job; run with --fresh to start over`);
          }
          fs.ftruncateSync(fd, restore);
        }
        else if ((p.mode ?? 'overwrite') === 'overwrite') fs.ftruncateSync(fd, 0);
      },
      write(batch) {
        const { values, timestamps, keys } = batch;
        let text = '';
        for (let i = 0; i < values.length; i++) {
          text += JSON.stringify(asRecord ? { key: keys === null ? null : keys[i], timestamp: timestamps[i], value: values[i] } : values[i]) + '\n';
        }
        fs.writeSync(fd, text);
      },
      flush() {
        fs.fsyncSync(fd);
        return fs.fstatSync(fd).size;
      },
      close() {
        if (fd >= 0) fs.closeSync(fd);
        fd = -1;
      },
    };
  },
});
