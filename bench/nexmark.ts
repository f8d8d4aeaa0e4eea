// Nexmark q0, q1, q2, q5, q7: the engine running the topology files in
// topologies/nexmark/ against a hand-written loop doing the same work
// (bench/baselines/nexmark-loops.ts), both in this process, both hashing
// every output the same way so the results are checked equal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineSink } from '../engine/connectors.ts';
import { runTopology } from '../engine/runtime.ts';
import { SchemaRegistry } from '../schemas/index.ts';
import { registerSink } from '../sinks/registry.ts';
import { loadTopology } from '../topologies/validate.ts';
import { hashQ0, hashQ1, hashQ2, hashQ5, hashQ7, measureBaseline, type BaselineQuery } from './baselines/nexmark-loops.ts';
import type { BenchRow } from './result.ts';
import type { NexmarkEvent } from '../streams/nexmark/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

interface QuerySetup { query: BaselineQuery; events: number; minEventsPerCpuSecond: number }
const QUERIES: QuerySetup[] = [
  { query: 'q0', events: 5_000_000, minEventsPerCpuSecond: 1_000_000 },
  { query: 'q1', events: 5_000_000, minEventsPerCpuSecond: 1_000_000 },
  { query: 'q2', events: 5_000_000, minEventsPerCpuSecond: 1_000_000 },
  { query: 'q5', events: 2_000_000, minEventsPerCpuSecond: 100_000 },
  { query: 'q7', events: 2_000_000, minEventsPerCpuSecond: 100_000 },
];

type Hasher = (v: never, ts: number) => number;
const HASHERS: Record<BaselineQuery, Hasher> = {
  q0: ((v: NexmarkEvent, ts: number) => hashQ0(v.type, ts)) as Hasher,
  q1: ((v: { auction: number; bidder: number; price: number; dateTime: number }) => hashQ1(v.auction, v.bidder, v.price, v.dateTime)) as Hasher,
  q2: ((v: { auction: number; price: number }) => hashQ2(v.auction, v.price)) as Hasher,
  q5: ((v: { auction: number; count: number; windowStart: number; windowEnd: number }) => hashQ5(v.auction, v.count, v.windowStart, v.windowEnd)) as Hasher,
  q7: ((v: { auction: number; bidder: number; price: number; dateTime: number; windowStart: number; windowEnd: number }) =>
    hashQ7(v.auction, v.bidder, v.price, v.dateTime, v.windowStart, v.windowEnd)) as Hasher,
};

/** Sink that folds every record into the same checksum the baseline loops compute. */
const totals = { outputs: 0, checksum: 0 };
registerSink(
  defineSink<{ query: BaselineQuery }>({
    type: 'nexmark-checksum',
    summary: 'benchmark sink: checksum of Nexmark query outputs',
    paramsSchema: { type: 'object', required: ['query'], properties: { query: { enum: ['q0', 'q1', 'q2', 'q5', 'q7'] } } },
    create(p) {
      const hash = HASHERS[p.query] as (v: unknown, ts: number) => number;
      return {
        async open() {},
        write(batch) {
          const { values, timestamps } = batch;
          let c = totals.checksum;
          for (let i = 0; i < values.length; i++) c = (c + hash(values[i], timestamps[i]!)) >>> 0;
          totals.checksum = c;
          totals.outputs += values.length;
        },
        flush: () => null,
        close() {},
      };
    },
  }),
);

export async function runEngine(setup: Pick<QuerySetup, 'query' | 'events'>, schemas: SchemaRegistry): Promise<{ cpuSeconds: number; outputs: number; checksum: number }> {
  const { spec } = loadTopology(path.join(ROOT, 'topologies/nexmark', `${setup.query}.yaml`), schemas);
  spec.sources[0]!.params = { ...spec.sources[0]!.params, events: setup.events, seed: 42 };
  spec.sinks = spec.sinks.map((s) => ({ ...s, type: 'nexmark-checksum', params: { query: setup.query } }));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bench-'));
  totals.outputs = 0;
  totals.checksum = 0;
  try {
    const cpu0 = process.cpuUsage();
    await runTopology(spec, { schemas, dataDir });
    const cpu = process.cpuUsage(cpu0);
    return { cpuSeconds: (cpu.user + cpu.system) / 1e6, outputs: totals.outputs, checksum: totals.checksum };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const schemas = SchemaRegistry.load();
  const rows: BenchRow[] = [];
  const only = process.env.BENCH_QUERIES?.split(',');
  for (const setup of QUERIES.filter((q) => !only || only.includes(q.query))) {
    let engineCpu = Infinity;
    let loopCpu = Infinity;
    let engineOut = { outputs: 0, checksum: 0 };
    let loopOut = { outputs: 0, checksum: 0 };
    // alternate engine and loop runs; keep the best of each (least disturbed by the machine)
    for (let r = 0; r < REPEATS; r++) {
      const e = await runEngine(setup, schemas);
      engineCpu = Math.min(engineCpu, e.cpuSeconds);
      engineOut = e;
      const l = measureBaseline(setup.query, { seed: 42, events: setup.events });
      loopCpu = Math.min(loopCpu, l.cpuSeconds);
      loopOut = l;
    }
    if (engineOut.outputs !== loopOut.outputs || engineOut.checksum !== loopOut.checksum) {
      throw new Error(`${setup.query}: engine results differ from the loop (outputs ${engineOut.outputs} vs ${loopOut.outputs}, checksum ${engineOut.checksum} vs ${loopOut.checksum})`);
    }
    const engineRate = setup.events / engineCpu;
    const loopRate = setup.events / loopCpu;
    rows.push({
      name: `${setup.query}.throughput`,
      unit: 'events/cpu-s',
      value: Math.round(engineRate),
      baseline: 'hand-written loop',
      baselineValue: Math.round(loopRate),
      ratio: round(engineRate / loopRate),
      target: `>= ${setup.minEventsPerCpuSecond.toLocaleString('en-US')}`,
      pass: engineRate >= setup.minEventsPerCpuSecond,
    });
    rows.push({
      name: `${setup.query}.time_ratio`,
      unit: 'cpu-s',
      value: round(engineCpu),
      baseline: 'hand-written loop',
      baselineValue: round(loopCpu),
      ratio: round(engineCpu / loopCpu),
      target: '<= 1.5',
      pass: engineCpu / loopCpu <= 1.5,
    });
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
