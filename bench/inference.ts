// The `inference` operator against direct node-llama-cpp calls on the tiny
// GGUF (test/support/models/tiny-gguf.ts, written into a temp dir): the same
// BENCH_INFERENCE_PROMPTS seeded prompts (default 200), maxTokens
// BENCH_INFERENCE_MAX_TOKENS (default 16), temperature 0, one llama.cpp
// thread, in one run:
//
//   baseline                  the adapter's LoadedGenerator.generate, one call
//                             after another on sequence 0 (1 sequence)
//   inference.service         InferenceService.generate, one call after
//                             another: selection, prompt template, queue, host
//   inference.operator        a running topology, bench source -> inference ->
//                             bench sink: from handing the source a chunk of
//                             prompts to the sink holding their completions
//   inference.control         the baseline loop again as a path of its own
//                             (A/A): its ratio is the method's noise floor
//   inference.operator.run    replay JSONL -> inference -> jsonl sink, one
//                             whole topology run (build, final checkpoint with
//                             fsync, teardown included)
//   inference.adapter         the baseline against raw node-llama-cpp
//                             (sequence.clearHistory + evaluate, detokenized
//                             once at the end; its own copy of the model)
//
// On this shared 2-core machine a neighbour's load swings any path by up to
// 2x from one second to the next (CPU-seconds too: the cores are shared). So
// the prompts go in chunks of BENCH_INFERENCE_CHUNK (default 20, ~60 ms of
// work) and baseline, control, service and operator (one loaded model) take
// turns chunk by chunk, for BENCH_REPEATS rounds (default 8): each sees the
// same noise, and its figure is its total over all chunks. Whole topology
// runs and raw node-llama-cpp (another copy of the model: switching models
// costs cache misses) alternate with the baseline by whole passes instead,
// one pass each per round. Orders follow a Williams square, so no path
// always runs first or always follows the same path. Figures: generated
// tokens per wall-second and per CPU-second of this process (llama.cpp's
// thread included). Every path must give the same texts (any difference
// throws). Target: the service and the operator within 5 % of the baseline
// (ratio >= 0.95).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { defineSink, defineSource, type SourceChunk } from '../engine/connectors.ts';
import { runTopology } from '../engine/runtime.ts';
import { promptTemplate } from '../models/runtime/prompt-template.ts';
import { acquireInference, releaseInference } from '../operators/inference/services.ts';
import { SchemaRegistry } from '../schemas/index.ts';
import { registerSink } from '../sinks/registry.ts';
import { registerSource } from '../streams/registry.ts';
import { SplitMix32 } from '../streams/nexmark/prng.ts';
import { TINY_GGUF, writeTinyGguf } from '../test/support/models/tiny-gguf.ts';
import type { TopologySpec } from '../topologies/spec.ts';
import type { BenchRow } from './result.ts';

const PROMPTS = Number(process.env.BENCH_INFERENCE_PROMPTS ?? 200);
const CHUNK = Number(process.env.BENCH_INFERENCE_CHUNK ?? 20);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 8);
const MAX_TOKENS = Number(process.env.BENCH_INFERENCE_MAX_TOKENS ?? 16);
const THREADS = 1;
const MODEL = 'tiny-0m-chat-f32-v1.0';

interface Generated { texts: string[]; tokens: number }
interface Sample { wallS: number; cpuS: number; tokens: number }
/** `control` is the adapter loop again, measured as a path of its own: its ratio to the baseline is the method's noise floor (A/A). */
const INTERLEAVED = ['adapter', 'control', 'service', 'operator'] as const;
type Interleaved = (typeof INTERLEAVED)[number];
/** A Williams square: over its four orders each path takes each position once and follows each other path once. */
const WILLIAMS = [[0, 1, 3, 2], [1, 2, 0, 3], [2, 3, 1, 0], [3, 0, 2, 1]] as const;
const INTERLEAVED_ORDERS = WILLIAMS.map((o) => o.map((i) => INTERLEAVED[i]));
const PASSES = ['adapter', 'raw', 'run'] as const;
type Pass = (typeof PASSES)[number];
/** Every order of the three: each path takes each position and follows each other path equally often. */
const PASS_ORDERS: readonly (readonly Pass[])[] = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]].map((o) => o.map((i) => PASSES[i]!));

/** The running topology's ends: the bench hands the source a chunk, the sink reports when its completions arrived. */
const feed = new (class {
  private queued: SourceChunk[] = [];
  private waiter: ((c: SourceChunk) => void) | undefined;
  private expected = 0;
  private received: { completion: { text: string; completion_tokens: number } }[] = [];
  private done: (() => void) | undefined;

  /** Hands `values` to the source (or ends it) and resolves with their completions once the sink wrote them. */
  send(values: object[], end = false): Promise<Generated> {
    const chunk: SourceChunk = { values, timestamps: new Float64Array(values.length), keys: null, partitions: null, offsets: null, topic: 'bench', end };
    this.expected = values.length;
    this.received = [];
    const arrived = new Promise<void>((resolve) => (this.done = values.length === 0 ? undefined : resolve));
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(chunk);
    } else this.queued.push(chunk);
    if (values.length === 0) return Promise.resolve({ texts: [], tokens: 0 });
    return arrived.then(() => ({ texts: this.received.map((r) => r.completion.text), tokens: this.received.reduce((n, r) => n + r.completion.completion_tokens, 0) }));
  }

  poll(): Promise<SourceChunk> {
    const c = this.queued.shift();
    return c ? Promise.resolve(c) : new Promise((resolve) => (this.waiter = resolve));
  }

  write(values: readonly unknown[]): void {
    this.received.push(...(values as typeof this.received));
    if (this.received.length >= this.expected) this.done?.();
  }
})();

registerSource(defineSource<Record<string, never>>({
  type: 'bench-inference-feed',
  summary: 'benchmark source: chunks handed over by bench/inference.ts',
  formats: ['object'],
  paramsSchema: { type: 'object' },
  create: () => {
    let n = 0;
    return {
      async open() {},
      poll: () => feed.poll().then((c) => ((n += c.values.length), c)),
      position: () => n,
      commit() {},
      close() {},
    };
  },
}));
registerSink(defineSink<Record<string, never>>({
  type: 'bench-inference-collect',
  summary: 'benchmark sink: hands completions back to bench/inference.ts',
  paramsSchema: { type: 'object' },
  create: () => {
    let n = 0;
    return {
      async open() {},
      write: (batch) => ((n += batch.values.length), feed.write(batch.values)),
      flush: () => n,
      close() {},
    };
  },
}));

export async function run(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maasflow-bench-inference-'));
  const gguf = path.join(dir, 'tiny.gguf');
  const { sha256 } = writeTinyGguf(gguf, { seed: 1 });
  /** A manifests folder with the tiny model on `sequences` context sequences. */
  const manifestsWith = (sequences: number): string => {
    const folder = path.join(dir, `manifests-${sequences}`);
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'tiny.yaml'), [
      `id: ${MODEL}`, 'family: tiny', 'role: lightweight', `path: ${gguf}`, 'format: gguf', 'quant: f32',
      'context_length: 256', 'capabilities: [chat]', 'revision: r1', `checksum_sha256: ${sha256}`, `sequences: ${sequences}`,
    ].join('\n'));
    return folder;
  };
  // one sequence, as the baseline: with two, node-llama-cpp 3.21.1 now and then swaps the first sampled tokens of two prompts decoded in one batch (~2 in 1,000 generations here)
  const shared = { manifests: manifestsWith(1), threads: THREADS, gpu: false } as const;
  const prompts = makePrompts(PROMPTS, 42);
  const input = path.join(dir, 'prompts.jsonl');
  fs.writeFileSync(input, prompts.map((prompt, i) => JSON.stringify({ i, prompt })).join('\n') + '\n');
  const chunks = Array.from({ length: Math.ceil(PROMPTS / CHUNK) }, (_, c) => prompts.slice(c * CHUNK, (c + 1) * CHUNK));
  console.log(`${PROMPTS} prompts in chunks of ${CHUNK}, maxTokens ${MAX_TOKENS}, temperature 0, ${THREADS} llama.cpp thread, 1 sequence, ${REPEATS} rounds`);

  // held for the whole bench: the operator's topologies find these services, with the model loaded
  const held = acquireInference(shared);
  const host = held.service.host(held.registry.get(MODEL));
  const loaded = await host.acquire();
  if (loaded.kind !== 'generator') throw new Error(`${MODEL} did not load as a generator`);
  const generator = loaded.model;
  const raw = await rawLlama(gguf);
  const schemas = SchemaRegistry.load();
  const template = promptTemplate('bench', '{{prompt}}');
  const topology = (name: string, manifests: string, source: TopologySpec['sources'][number], sink: TopologySpec['sinks'][number]): TopologySpec => ({
    name,
    sources: [source],
    operators: [{ id: 'llm', type: 'inference', input: source.id, params: { manifests, threads: THREADS, template: '{{prompt}}', maxTokens: MAX_TOKENS, temperature: 0 } }],
    sinks: [sink],
  });
  const running = runTopology(
    topology('bench-inference-feed', shared.manifests, { id: 'prompts', type: 'bench-inference-feed' }, { id: 'out', type: 'bench-inference-collect', input: 'llm' }),
    { schemas, dataDir: fs.mkdtempSync(path.join(dir, 'feed-')), fresh: true },
  );

  const adapterLoop = async (chunk: readonly string[]): Promise<Generated> => {
    const g: Generated = { texts: [], tokens: 0 };
    for (const p of chunk) {
      const r = await generator.generate(0, p, { maxTokens: MAX_TOKENS, temperature: 0 });
      g.texts.push(r.text);
      g.tokens += r.completionTokens;
    }
    return g;
  };
  const paths: Record<Interleaved, (chunk: readonly string[]) => Promise<Generated>> = {
    adapter: adapterLoop,
    // A/A: the baseline loop measured again as its own path, to show how much of a gap is noise
    control: adapterLoop,
    async service(chunk) {
      const g: Generated = { texts: [], tokens: 0 };
      for (const p of chunk) {
        const r = await held.service.generate({ select: { capability: 'chat' }, template, vars: { prompt: p }, maxTokens: MAX_TOKENS, temperature: 0 });
        g.texts.push(r.text);
        g.tokens += r.completionTokens;
      }
      return g;
    },
    operator: (chunk) => feed.send(chunk.map((prompt) => ({ prompt }))),
  };
  const wholeRun = async (manifests: string): Promise<Generated> => {
    const out = path.join(dir, 'out.jsonl');
    await runTopology(
      topology('bench-inference-run', manifests, { id: 'prompts', type: 'replay', params: { path: input } }, { id: 'out', type: 'jsonl', input: 'llm', params: { path: out } }),
      { schemas, dataDir: fs.mkdtempSync(path.join(dir, 'run-')), fresh: true },
    );
    const rows = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { completion: { text: string; completion_tokens: number } });
    return { texts: rows.map((r) => r.completion.text), tokens: rows.reduce((n, r) => n + r.completion.completion_tokens, 0) };
  };

  const totals = Object.fromEntries(INTERLEAVED.map((n) => [n, { wallS: 0, cpuS: 0, tokens: 0 }])) as Record<Interleaved, Sample>;
  const rounds = Object.fromEntries(INTERLEAVED.map((n) => [n, [] as Sample[]])) as Record<Interleaved, Sample[]>;
  const texts = Object.fromEntries(INTERLEAVED.map((n) => [n, [] as string[]])) as Record<Interleaved, string[]>;
  /** Whole passes over every prompt, alternating (another model copy, or a whole topology run per pass). */
  const passes: Record<Pass, () => Promise<Generated>> = {
    adapter: () => paths.adapter(prompts),
    raw: () => raw.run(prompts),
    run: () => wholeRun(shared.manifests),
  };
  const passTotals = Object.fromEntries(PASSES.map((n) => [n, { wallS: 0, cpuS: 0, tokens: 0 }])) as Record<Pass, Sample>;
  let reference: string[] | undefined;
  const check = (name: string, got: readonly string[]): void => {
    reference ??= [...got];
    const i = got.findIndex((t, j) => t !== reference![j]);
    if (got.length !== reference.length || i >= 0) throw new Error(`${name} gave other texts than the first path: record ${i}: ${JSON.stringify(got[i])} vs ${JSON.stringify(reference[i])}`);
  };
  try {
    for (const n of INTERLEAVED) await paths[n](chunks[0]!); // warm-up: first calls, JIT
    for (const n of PASSES) await passes[n]();
    let turn = 0;
    for (let r = 0; r < REPEATS; r++) {
      const round = Object.fromEntries(INTERLEAVED.map((n) => [n, { wallS: 0, cpuS: 0, tokens: 0 }])) as Record<Interleaved, Sample>;
      for (const n of INTERLEAVED) texts[n] = [];
      for (const chunk of chunks) {
        for (const n of INTERLEAVED_ORDERS[turn++ % INTERLEAVED_ORDERS.length]!) {
          const m = await measure(() => paths[n](chunk));
          add(round[n], m);
          add(totals[n], m);
          texts[n].push(...m.texts);
        }
      }
      for (const n of INTERLEAVED) {
        check(`round ${r + 1} ${n}`, texts[n]);
        rounds[n].push(round[n]);
      }
      const pass: Partial<Record<Pass, Sample>> = {};
      for (const n of PASS_ORDERS[r % PASS_ORDERS.length]!) {
        const m = await measure(passes[n]);
        check(`round ${r + 1} whole pass ${n}`, m.texts);
        add(passTotals[n], m);
        pass[n] = m;
      }
      console.log(`round ${r + 1}, by chunk: ${INTERLEAVED.map((n) => `${n} ${rate(round[n]).toFixed(0)}`).join(', ')}; whole passes: ${PASSES.map((n) => `${n} ${rate(pass[n]!).toFixed(0)}`).join(', ')} tokens/s`);
    }
  } finally {
    await feed.send([], true);
    await running;
    host.release();
    await raw.dispose();
    await releaseInference(held);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`every path gave the same ${reference!.length} texts (${new Set(reference).size} distinct), e.g. ${JSON.stringify(prompts[0])} -> ${JSON.stringify(reference![0])}`);

  const BY_CHUNK = 'adapter LoadedGenerator.generate loop (node-llama-cpp, 1 thread), taking turns by chunk';
  const BY_PASS = 'adapter LoadedGenerator.generate loop, alternating whole passes';
  const row = (name: string, unit: string, value: number, baseline: string, baselineValue: number, target?: number): BenchRow => ({
    name,
    unit,
    value: Math.round(value),
    baseline,
    baselineValue: Math.round(baselineValue),
    ratio: Math.round((value / baselineValue) * 1000) / 1000,
    ...(target === undefined ? {} : { target: `>= ${target}`, pass: value / baselineValue >= target }),
  });
  const cpuRate = (s: Sample): number => s.tokens / s.cpuS;
  return [
    row('inference.operator', 'tokens/s', rate(totals.operator), BY_CHUNK, rate(totals.adapter), 0.95),
    row('inference.service', 'tokens/s', rate(totals.service), BY_CHUNK, rate(totals.adapter), 0.95),
    row('inference.operator.cpu', 'tokens/cpu-s', cpuRate(totals.operator), BY_CHUNK, cpuRate(totals.adapter)),
    row('inference.service.cpu', 'tokens/cpu-s', cpuRate(totals.service), BY_CHUNK, cpuRate(totals.adapter)),
    row('inference.control', 'tokens/s', rate(totals.control), `${BY_CHUNK} (A/A: the same loop as another path; the noise floor)`, rate(totals.adapter)),
    row('inference.operator.run', 'tokens/s', rate(passTotals.run), BY_PASS, rate(passTotals.adapter)),
    row('inference.adapter', 'tokens/s', rate(passTotals.adapter), 'raw node-llama-cpp sequence.evaluate loop, alternating whole passes', rate(passTotals.raw)),
  ];
}

const rate = (s: Sample): number => s.tokens / s.wallS;

function add(to: Sample, m: Sample): void {
  to.wallS += m.wallS;
  to.cpuS += m.cpuS;
  to.tokens += m.tokens;
}

async function measure(work: () => Promise<Generated>): Promise<Sample & Generated> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await work();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { ...r, wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

/**
 * node-llama-cpp with nothing of ours: its own model and one-sequence
 * context; per prompt, clear the sequence, BOS + tokens, evaluate greedily,
 * stop after MAX_TOKENS, detokenize once.
 */
async function rawLlama(file: string): Promise<{ run(prompts: readonly string[]): Promise<Generated>; dispose(): Promise<void> }> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads: THREADS });
  const sequence = context.getSequence();
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  return {
    async run(prompts) {
      const g: Generated = { texts: [], tokens: 0 };
      for (const p of prompts) {
        await sequence.clearHistory();
        const input = model.tokenize(p);
        if (bos !== null) input.unshift(bos);
        const generated: Token[] = [];
        for await (const t of sequence.evaluate(input, { temperature: 0 })) {
          generated.push(t);
          if (generated.length >= MAX_TOKENS) break;
        }
        g.texts.push(model.detokenize(generated, false, input));
        g.tokens += generated.length;
      }
      return g;
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
    },
  };
}

function makePrompts(n: number, seed: number): string[] {
  const rng = new SplitMix32(seed);
  const words = TINY_GGUF.words.map((w) => w.replace('▁', '')).filter((w) => w !== '.');
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.nextInt(5) }, () => words[rng.nextInt(words.length)]).join(' '));
}
