import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { MaasflowError } from '../../engine/errors.ts';
import { compileExpression } from '../../engine/expression/index.ts';
import { SchemaRegistry } from '../../schemas/index.ts';
import { EmbeddedLog, type LogRecordInput } from '../../streams/log/index.ts';
import { runCommand } from '../output.ts';

interface LogOptions { dataDir: string; jsonMetrics?: string }

const logDir = (o: LogOptions): string => path.join(path.resolve(o.dataDir), 'log');

/** Console tools for the embedded log (what kafka-topics / console producer / console consumer are to Kafka). */
export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('inspect and feed the embedded log');
  const common = (c: Command): Command => c.option('--data-dir <dir>', 'data directory (the log is DIR/log)', '.data').option('--json-metrics <path|->', 'write the metrics report');

  common(log.command('topics').description('list topics with partitions and offsets')).action((o: LogOptions) =>
    runCommand('log topics', o.jsonMetrics, async ({ print }) => {
      const l = EmbeddedLog.open(logDir(o));
      try {
        const rows: Record<string, unknown> = {};
        for (const t of l.topics()) {
          const cfg = l.topicConfig(t);
          const parts = Array.from({ length: cfg.partitions }, (_, p) => `${p}:[${l.startOffset(t, p)},${l.endOffset(t, p)})`);
          print(`${t}  partitions=${cfg.partitions}  ${parts.join(' ')}\n`);
          rows[t] = { partitions: cfg.partitions, records: Array.from({ length: cfg.partitions }, (_, p) => l.endOffset(t, p) - l.startOffset(t, p)).reduce((a, b) => a + b, 0) };
        }
        return { topics: rows };
      } finally {
        l.close();
      }
    }),
  );

  common(
    log
      .command('produce')
      .argument('<topic>', 'topic (created when missing)')
      .description('append JSON Lines from a file or stdin; one record per line')
      .option('--file <path>', 'JSON Lines input (default: stdin)')
      .option('--partitions <n>', 'partitions when the topic is created', '1')
      .option('--schema <ref>', 'encode as Avro (Confluent wire format) with this schema, e.g. demo.Reading@1')
      .option('--key <expr>', 'key expression over value, e.g. value.sensor')
      .option('--timestamp <expr>', 'record timestamp expression (default: now)'),
  ).action((topic: string, o: LogOptions & { file?: string; partitions: string; schema?: string; key?: string; timestamp?: string }) =>
    runCommand('log produce', o.jsonMetrics, async ({ print }) => {
      const schemas = o.schema ? SchemaRegistry.load() : null;
      const encode = schemas && o.schema ? schemas.encoder(o.schema) : (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
      const vars = ['value', 'key', 'timestamp'];
      const keyOf = o.key ? compileExpression(o.key, { variables: vars }) : null;
      const timeOf = o.timestamp ? compileExpression(o.timestamp, { variables: vars }) : null;
      const l = EmbeddedLog.open(logDir(o));
      let produced = 0;
      try {
        if (!l.hasTopic(topic)) l.createTopic(topic, { partitions: Number(o.partitions) });
        const input = o.file ? fs.createReadStream(o.file) : process.stdin;
        let batch: LogRecordInput[] = [];
        let line = 0;
        for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
          line++;
          if (!text.trim()) continue;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (err) {
            l.appendByKey(topic, batch);
            produced += batch.length;
            l.flush();
            throw new MaasflowError('RECORD_DECODE', `${o.file ?? 'stdin'}:${line}: invalid JSON: ${(err as Error).message} (${produced} records before it were produced)`);
          }
          const now = Date.now();
          const key = keyOf ? keyOf(value, null, now) : null;
          const ts = timeOf ? Number(timeOf(value, key, now)) : now;
          batch.push({ key: key === null || key === undefined ? null : Buffer.from(String(key)), value: encode(value), timestamp: Number.isFinite(ts) ? ts : now });
          if (batch.length === 4096) {
            l.appendByKey(topic, batch);
            produced += batch.length;
            batch = [];
          }
        }
        l.appendByKey(topic, batch);
        produced += batch.length;
        l.flush();
        process.stderr.write(`produced ${produced} records to ${topic}\n`);
        return { produced, topic };
      } finally {
        l.close();
      }
    }),
  );

  common(
    log
      .command('read')
      .argument('<topic>', 'topic')
      .description('print records as JSON Lines {partition, offset, timestamp, key, headers, value}')
      .option('--partition <n>', 'only this partition')
      .option('--from <offset>', 'start offset (default: the earliest)')
      .option('--max <n>', 'at most this many records per partition', '100')
      .option('--schema <ref>', 'decode Avro values with this reader schema'),
  ).action((topic: string, o: LogOptions & { partition?: string; from?: string; max: string; schema?: string }) =>
    runCommand('log read', o.jsonMetrics, async ({ print }) => {
      const decode = o.schema ? SchemaRegistry.load().decoder(o.schema) : null;
      const l = EmbeddedLog.open(logDir(o));
      let read = 0;
      try {
        const parts = o.partition !== undefined ? [Number(o.partition)] : Array.from({ length: l.topicConfig(topic).partitions }, (_, p) => p);
        const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
        for (const p of parts) {
          const from = o.from !== undefined ? Number(o.from) : l.startOffset(topic, p);
          for (const r of l.read(topic, p, from, Number(o.max))) {
            let value: unknown = text(r.value);
            if (decode) {
              const d = decode(r.value);
              value = d.ok ? d.value : { undecodable: d.reason };
            } else {
              try {
                value = JSON.parse(value as string);
              } catch {
                // not JSON: printed as a string
              }
            }
            const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, text(v)]));
            print(`${JSON.stringify({ partition: p, offset: r.offset, timestamp: r.timestamp, key: r.key ? text(r.key) : null, headers, value })}\n`);
            read++;
          }
        }
        return { read, topic };
      } finally {
        l.close();
      }
    }),
  );
}
