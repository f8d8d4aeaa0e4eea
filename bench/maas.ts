// The MaaS pipeline (topologies/maas/pipeline.yaml as shipped: intake ->
// analyze -> assemble -> respond -> archive, every transition an Avro event on
// pipeline_runs, answers on responses) against a plain async loop calling the
// same stage functions (operators/maas/stages.ts) on the same requests, each
// on its own fresh DuckDB file, same parameter version, in the same run.
//
//   maas.pipeline       runs per CPU-second of this process (DuckDB's threads included)
//   maas.pipeline.wall  runs per wall-second
//
// Workload: seeded User Emulator dialogues (streams/emulator: planRun +
// Dialogue) across MAAS_BENCH_USERS users (default 100), each user's threads
// one after another, users interleaved turn by turn; a question turn is
// "answered" correctly with a seeded probability, else "I don't know.", so
// the dialogues take their follow-up branches (related asks, re-plants,
// re-asks). The first MAAS_BENCH_REQUESTS requests (default 2,000) are used.
// Both paths must complete every run with the same answer and leave the same
// memories; any difference throws.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { runTopology } from '../engine/runtime.ts';
import { FileParamSource } from '../operators/maas/param-source.ts';
import { runIdOf } from '../operators/maas/pipeline.ts';
import { checkChatRequest } from '../operators/maas/request-schema.ts';
import { analyze, archive, assemble, respond, type StageContext } from '../operators/maas/stages.ts';
import { MemoryStore } from '../operators/maas/store.ts';
import type { ChatRequest, ChatResponse } from '../operators/maas/types.ts';
import { BuiltinEmbedder } from '../models/builtin/embedder.ts';
import { SchemaRegistry } from '../schemas/index.ts';
import { loadPersonas, loadScenarios, DEFAULT_PERSONAS_FILE, DEFAULT_SCENARIOS_FILE } from '../streams/emulator/config.ts';
import { Dialogue } from '../streams/emulator/dialogue.ts';
import { planRun } from '../streams/emulator/plan.ts';
import { EmbeddedLog } from '../streams/log/embedded-log.ts';
import { SplitMix32, hashSeed } from '../streams/nexmark/prng.ts';
import { loadTopology } from '../topologies/validate.ts';
import type { BenchRow } from './result.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = Number(process.env.MAAS_BENCH_REQUESTS ?? 2_000);
const USERS = Number(process.env.MAAS_BENCH_USERS ?? 100);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const SEED = 7;
/** The shipped parameter version, read by both paths. */
const PARAMS_FILE = path.join(ROOT, 'config/params.json');
/** Events a completed run leaves on pipeline_runs: NEW ANALYZING ANALYZED ASSEMBLING READY RESPONDING COMPLETED. */
const EVENTS_PER_RUN = 7;

interface Measured {
  runs: number;
  cpuSeconds: number;
  wallSeconds: number;
  /** run_id -> answer of each COMPLETED run. */
  answers: Map<string, string>;
  /** Row counts and an order-independent hash of memories and messages (timestamps left out: they are wall-clock). */
  store: string;
}

export async function run(): Promise<BenchRow[]> {
  const requests = workload(REQUESTS, USERS, SEED);
  const users = new Set(requests.map((r) => r.user_id)).size;
  const threads = new Set(requests.map((r) => r.thread_id)).size;
  const questions = requests.filter((r) => r.eval?.golden_facts).length;
  const plants = requests.filter((r) => r.eval?.plants).length;
  console.log(`${requests.length} requests (${users} users, ${threads} threads; ${plants} plant a fact, ${questions} ask one), ${REPEATS} repeat(s), params ${PARAMS_FILE}`);

  const schemas = SchemaRegistry.load();
  const samples = { directCpu: [] as number[], directWall: [] as number[], engineCpu: [] as number[], engineWall: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    const direct = await runDirect(requests);
    const engine = await runEngine(requests, schemas);
    check(engine, direct, requests.length);
    samples.directCpu.push(direct.runs / direct.cpuSeconds);
    samples.directWall.push(direct.runs / direct.wallSeconds);
    samples.engineCpu.push(engine.runs / engine.cpuSeconds);
    samples.engineWall.push(engine.runs / engine.wallSeconds);
    console.log(
      `repeat ${r + 1}: direct ${direct.cpuSeconds.toFixed(2)} cpu-s / ${direct.wallSeconds.toFixed(2)} wall-s, engine ${engine.cpuSeconds.toFixed(2)} cpu-s / ${engine.wallSeconds.toFixed(2)} wall-s; ` +
        `${engine.runs} runs completed on both paths, same answers, store ${engine.store}`,
    );
  }
  const row = (name: string, unit: string, value: number, baselineValue: number): BenchRow => ({
    name,
    unit,
    value: Math.round(value * 10) / 10,
    baseline: 'direct stage calls in an async loop, same requests and params',
    baselineValue: Math.round(baselineValue * 10) / 10,
    ratio: Math.round((value / baselineValue) * 1000) / 1000,
  });
  return [
    row('maas.pipeline', 'runs/cpu-s', median(samples.engineCpu), median(samples.directCpu)),
    row('maas.pipeline.wall', 'runs/s', median(samples.engineWall), median(samples.directWall)),
  ];
}

/**
 * Requests of seeded emulator dialogues: ~6 turns per thread, threads spread
 * over `users` users; each user's threads in order, users interleaved turn by
 * turn; the first `n`. Dialogues continue on canned answers: a question is
 * answered with its value with probability 0.6, otherwise "I don't know.".
 */
export function workload(n: number, users: number, seed: number): ChatRequest[] {
  const personas = loadPersonas(DEFAULT_PERSONAS_FILE);
  const scenarios = loadScenarios(DEFAULT_SCENARIOS_FILE);
  for (let dialogues = Math.max(users, Math.ceil(n / 5)); ; dialogues = Math.ceil(dialogues * 1.25)) {
    const threadsPerUser = Math.ceil(dialogues / users);
    const plan = planRun({ seed, dialogues, threadsPerUser, personas: personas.personas, scenarios: scenarios.scenarios, label: `bench${seed}` });
    const perUser = plan.chains.map((chain) =>
      chain.flatMap((t) => {
        const thread = plan.threads[t]!;
        const dialogue = new Dialogue(thread, { unknownMarkers: scenarios.unknown_markers });
        const rng = new SplitMix32(hashSeed(seed, t));
        const out: ChatRequest[] = [];
        for (let turn = dialogue.next(); turn; turn = dialogue.next()) {
          out.push(turn.request);
          const asked = turn.request.eval?.golden_answer;
          const answer = asked !== undefined && rng.nextDouble() < 0.6 ? `It is ${asked}.` : asked !== undefined ? "I don't know." : 'Noted.';
          dialogue.observe({ status: 'COMPLETED', answer });
        }
        return out;
      }),
    );
    const total = perUser.reduce((s, xs) => s + xs.length, 0);
    if (total < n) continue;
    const out: ChatRequest[] = [];
    for (let i = 0; out.length < n; i++) for (const xs of perUser) if (i < xs.length && out.length < n) out.push(xs[i]!);
    return out;
  }
}

/** The baseline: what the five operators do for a run, as plain awaited calls (intake's validation and store writes included). */
async function runDirect(requests: readonly ChatRequest[]): Promise<Measured> {
  const dir = tmp('direct');
  const file = path.join(dir, 'maas.duckdb');
  const answers = new Map<string, string>();
  try {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const embedder = new BuiltinEmbedder();
    const store = new MemoryStore({ path: file, dim: embedder.dim });
    const paramSource = new FileParamSource(PARAMS_FILE);
    await store.open();
    try {
      for (const request of requests) {
        const problem = checkChatRequest(request);
        if (problem) throw new Error(`bench request rejected: ${problem}`);
        const version = paramSource.active();
        const messageId = request.message_id!;
        const runId = runIdOf(request, messageId);
        const ctx = (): StageContext => ({ store, embedder, params: version.params, now: Date.now() });
        const intake = Date.now();
        await store.ensureUserThread(request.user_id, request.thread_id, intake);
        await store.addMessage({ messageId, threadId: request.thread_id, userId: request.user_id, role: 'user', text: request.message, createdAt: intake, runId });
        const { keywords } = await analyze(request, ctx());
        const { retrieved } = await assemble(request, keywords, ctx());
        const c = ctx();
        const { answer } = await respond(request, retrieved, c);
        await store.addMessage({ messageId: `${messageId}.answer`, threadId: request.thread_id, userId: request.user_id, role: 'assistant', text: answer, createdAt: c.now, runId });
        await archive(request, messageId, ctx());
        answers.set(runId, answer);
      }
    } finally {
      await store.close();
    }
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - wall0) / 1000;
    return { runs: answers.size, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds, answers, store: await storeDigest(file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The shipped topology on a fresh log dir holding the requests, with its own DuckDB file; stops at the end of the requests topic. */
async function runEngine(requests: readonly ChatRequest[], schemas: SchemaRegistry): Promise<Measured> {
  const dir = tmp('engine');
  const file = path.join(dir, 'maas.duckdb');
  try {
    const log = EmbeddedLog.open(path.join(dir, 'log'));
    log.createTopic('requests', { partitions: 1 });
    const t0 = 1_700_000_000_000;
    log.appendByKey('requests', requests.map((r, i) => ({ key: Buffer.from(r.user_id), value: Buffer.from(JSON.stringify(r)), timestamp: t0 + i })));
    log.close();
    const { spec } = loadTopology(path.join(ROOT, 'topologies/maas/pipeline.yaml'), schemas);
    for (const o of spec.operators ?? []) o.params = { ...o.params, store: file, params: PARAMS_FILE };
    spec.sources[0]!.params = { ...spec.sources[0]!.params, stopAtEnd: true };
    // file sinks (duckdb, jsonl) write into the temp dir, never into the checkout's .data
    for (const s of spec.sinks) if (typeof s.params?.path === 'string') s.params = { ...s.params, path: path.join(dir, path.basename(s.params.path)) };

    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const summary = await runTopology(spec, { schemas, dataDir: dir, fresh: true });
    // the stage operators released the memory store when the run ended (closed inside the timed part, as the direct path does)
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - wall0) / 1000;
    if (!summary.completed) throw new Error('the pipeline topology did not reach the end of the requests topic');

    const check = EmbeddedLog.open(path.join(dir, 'log'));
    const answers = new Map<string, string>();
    let events = 0;
    let failed = 0;
    try {
      for (const r of readAll(check, 'responses')) {
        const response = JSON.parse(Buffer.from(r).toString('utf8')) as ChatResponse;
        if (response.status === 'COMPLETED') answers.set(response.run_id, response.answer ?? '');
        else failed++;
      }
      events = readAll(check, 'pipeline_runs').length;
      if (check.hasTopic('requests.dlq') && readAll(check, 'requests.dlq').length > 0) throw new Error('the pipeline dead-lettered bench requests');
    } finally {
      check.close();
    }
    if (failed > 0) throw new Error(`${failed} pipeline runs FAILED`);
    if (events !== answers.size * EVENTS_PER_RUN) throw new Error(`pipeline_runs holds ${events} events for ${answers.size} completed runs (expected ${EVENTS_PER_RUN} each)`);
    return { runs: answers.size, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds, answers, store: await storeDigest(file) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readAll(log: EmbeddedLog, topic: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < log.topicConfig(topic).partitions; p++) {
    for (let from = log.startOffset(topic, p); from < log.endOffset(topic, p); ) {
      const records = log.read(topic, p, from, 10_000);
      if (records.length === 0) break;
      for (const r of records) out.push(r.value);
      from = records.at(-1)!.offset + 1;
    }
  }
  return out;
}

/** Counts and order-independent hashes of the memories and messages tables (content only: created_at is wall-clock). */
async function storeDigest(file: string): Promise<string> {
  const instance = await DuckDBInstance.create(file);
  try {
    const conn = await instance.connect();
    try {
      const [[nm, hm, nmsg, hmsg]] = (
        await conn.runAndReadAll(`SELECT
          (SELECT count(*) FROM memories), (SELECT coalesce(sum(hash(memory_id, user_id, thread_id, text, keywords, fact_keys, importance) % 1000000007), 0) FROM memories),
          (SELECT count(*) FROM messages), (SELECT coalesce(sum(hash(message_id, role, text, run_id) % 1000000007), 0) FROM messages)`)
      ).getRowsJS() as [[bigint, bigint, bigint, bigint]];
      return `memories ${nm}/${hm}, messages ${nmsg}/${hmsg}`;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

function check(engine: Measured, direct: Measured, expected: number): void {
  if (direct.runs !== expected || engine.runs !== expected) throw new Error(`completed runs: engine ${engine.runs}, direct ${direct.runs}, requests ${expected}`);
  let differ = 0;
  let example = '';
  for (const [runId, answer] of direct.answers) {
    if (engine.answers.get(runId) === answer) continue;
    differ++;
    example ||= `run ${runId}: engine ${JSON.stringify(engine.answers.get(runId))}, direct ${JSON.stringify(answer)}`;
  }
  if (differ > 0) throw new Error(`${differ} of ${expected} answers differ between the engine and the direct loop, e.g. ${example}`);
  if (engine.store !== direct.store) throw new Error(`the stores differ: engine ${engine.store}, direct ${direct.store}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function tmp(what: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `maasflow-bench-maas-${what}-`));
}
