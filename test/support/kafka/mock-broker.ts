/**
 * A Kafka cluster for tests: librdkafka's mock cluster (a real TCP Kafka-protocol broker) run as a
 * child process (`mock-broker.c`, compiled on first use), or the external cluster named by
 * KAFKA_BROKERS. See docs/KAFKA-TESTING.md.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

export interface KafkaTarget {
  brokers: string[];
  /** true for a KAFKA_BROKERS cluster: fault injection throws there. */
  external: boolean;
  brokerDown(id: number): Promise<void>;
  brokerUp(id: number): Promise<void>;
  setRtt(id: number, ms: number): Promise<void>;
  /** Makes the next `count` requests with this Kafka API key (0 Produce, 1 Fetch, 8 OffsetCommit, ...) fail with `errorCode`. */
  injectErrors(apiKey: number, count: number, errorCode: number): Promise<void>;
  /** Moves a partition's leadership to another broker (the mock picks leaders at random). */
  setLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  createTopic(name: string, partitions: number): Promise<void>;
  stop(): Promise<void>;
}

/** Consumer settings the mock needs (its first group join takes ~3 s; a rejoin waits sessionTimeout - 1 s). */
export const TEST_CONSUMER_TIMINGS = { sessionTimeout: 3000, heartbeatInterval: 500, maxWaitTimeInMs: 100 } as const;

const here = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(here, 'mock-broker.c');
const ROOT = path.resolve(here, '..', '..', '..');
const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';
const MISSING_MSG = 'Kafka tests need the Debian package librdkafka-dev (apt-get install librdkafka-dev); .ci/run installs it';
const BOOTSTRAP_TIMEOUT_MS = 15_000;
const COMMAND_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

const running = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  });
}

let compiled: string | undefined;

/** Compiles mock-broker.c into node_modules/.cache/maasflow-mock-broker/<sha256>/ (once per source version). */
function mockBinary(): string {
  if (compiled) return compiled;
  if (!fs.existsSync(MOCK_HEADER)) throw new Error(MISSING_MSG);
  const src = fs.readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex');
  const dir = path.join(ROOT, 'node_modules', '.cache', 'maasflow-mock-broker', hash);
  const bin = path.join(dir, 'mock-broker');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(dir, { recursive: true });
    // build to a private name, then rename: concurrent test processes never run a half-written binary
    const tmp = `${bin}.${process.pid}.tmp`;
    const r = spawnSync('gcc', ['-O2', '-o', tmp, SOURCE, '-lrdkafka'], { encoding: 'utf8' });
    if (r.error) throw new Error(`compiling ${SOURCE}: cannot run gcc (${r.error.message}); ${MISSING_MSG}`);
    if (r.status !== 0) {
      fs.rmSync(tmp, { force: true });
      throw new Error(`compiling ${SOURCE} failed (gcc exit ${r.status}):\n${r.stderr}${/lrdkafka|rdkafka\.h/.test(r.stderr) ? `\n${MISSING_MSG}` : ''}`);
    }
    fs.renameSync(tmp, bin);
  }
  compiled = bin;
  return bin;
}

/** Line-oriented reader over a stream: `next()` resolves with the next line, or rejects on EOF/timeout. */
class LineReader {
  private buf = '';
  private lines: string[] = [];
  private waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | undefined;
  private closed: Error | undefined;

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.flush();
    });
    stream.on('end', () => this.fail(new Error('mock-broker closed its stdout')));
  }

  fail(err: Error): void {
    if (!this.closed) this.closed = err;
    this.flush();
  }

  private flush(): void {
    if (!this.waiter) return;
    const w = this.waiter;
    const line = this.lines.shift();
    if (line !== undefined) { this.waiter = undefined; w.resolve(line); }
    else if (this.closed) { this.waiter = undefined; w.reject(this.closed); }
  }

  next(timeoutMs: number, what: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const err = new Error(`mock-broker: timed out after ${timeoutMs} ms waiting for ${what}`);
        this.fail(err); // a late answer would be taken for the next command's: stop answering at all
        reject(err);
      }, timeoutMs);
      this.waiter = {
        resolve: (l) => { clearTimeout(timer); resolve(l); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.flush();
    });
  }
}

/** Starts a fresh librdkafka mock cluster with `brokers` brokers (ids 1..N) and the given topics pre-created. */
export async function startMockBroker(o: { brokers?: number; topics?: Record<string, number> } = {}): Promise<KafkaTarget> {
  const bin = mockBinary();
  installExitHook();
  const args = ['--brokers', String(o.brokers ?? 3)];
  for (const [name, parts] of Object.entries(o.topics ?? {})) args.push(`${name}:${parts}`);
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  // a helper the test forgot to stop must not keep Node alive: the exit hook kills it (pending
  // commands and stop() hold the loop open with their timers)
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) if (s instanceof Socket) s.unref();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => { running.delete(child); resolve(code); });
  });
  const out = new LineReader(child.stdout);
  child.on('error', (e) => out.fail(new Error(`mock-broker: ${e.message}`)));
  child.stdin.on('error', () => { /* EPIPE after the child died: the pending command fails via stdout EOF */ });

  let first: string;
  try {
    first = await out.next(BOOTSTRAP_TIMEOUT_MS, 'the BOOTSTRAP line');
    if (!first.startsWith('BOOTSTRAP=')) throw new Error(`mock-broker: unexpected first line ${JSON.stringify(first)}`);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(e as Error).message}\nstderr:\n${stderr}`);
  }
  const brokers = first.slice('BOOTSTRAP='.length).split(',').filter((b) => b.length > 0);

  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const command = (line: string): Promise<void> => {
    const run = async (): Promise<void> => {
      if (stopped) throw new Error(`mock-broker: "${line}" after stop()`);
      child.stdin.write(`${line}\n`);
      let answer: string;
      try {
        answer = await out.next(COMMAND_TIMEOUT_MS, `the answer to "${line}"`);
      } catch (e) {
        throw new Error(`${(e as Error).message}${stderr ? `\nstderr:\n${stderr}` : ''}`);
      }
      if (answer !== 'OK') throw new Error(`mock-broker: "${line}": ${answer.replace(/^ERR /, '')}`);
    };
    const p = queue.then(run, run);
    queue = p.catch(() => undefined);
    return p;
  };
  const topicName = (name: string): string => {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`mock-broker: bad topic name ${JSON.stringify(name)}`);
    return name;
  };
  const int = (n: number, what: string): number => {
    if (!Number.isInteger(n)) throw new Error(`mock-broker: ${what} must be an integer, got ${n}`);
    return n;
  };

  return {
    brokers,
    external: false,
    brokerDown: async (id) => command(`down ${int(id, 'broker id')}`),
    brokerUp: async (id) => command(`up ${int(id, 'broker id')}`),
    setRtt: async (id, ms) => command(`rtt ${int(id, 'broker id')} ${int(ms, 'rtt')}`),
    injectErrors: async (apiKey, count, errorCode) => command(`err ${int(apiKey, 'apiKey')} ${int(count, 'count')} ${int(errorCode, 'errorCode')}`),
    setLeader: async (topic, partition, brokerId) =>
      command(`leader ${topicName(topic)} ${int(partition, 'partition')} ${int(brokerId, 'broker id')}`),
    createTopic: async (name, partitions) => command(`topic ${topicName(name)} ${int(partitions, 'partitions')}`),
    async stop() {
      if (stopped) { await exited; return; }
      await queue;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.stdin.end('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function externalTarget(brokers: string[]): KafkaTarget {
  const unsupported = (what: string) => (): Promise<void> =>
    Promise.reject(new Error(`${what} needs the mock broker; the external cluster KAFKA_BROKERS=${brokers.join(',')} does not support fault injection`));
  return {
    brokers,
    external: true,
    brokerDown: unsupported('brokerDown'),
    brokerUp: unsupported('brokerUp'),
    setRtt: unsupported('setRtt'),
    setLeader: unsupported('setLeader'),
    injectErrors: unsupported('injectErrors'),
    async createTopic(name, partitions) {
      const admin = new Kafka({ clientId: 'maasflow-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
    },
    async stop() { /* not ours */ },
  };
}

/** The external cluster named by KAFKA_BROKERS when set (topics must exist there; createTopic uses kafkajs admin), else a fresh mock. */
export async function kafkaTarget(o: { brokers?: number; topics?: Record<string, number> } = {}): Promise<KafkaTarget> {
  const env = process.env.KAFKA_BROKERS?.trim();
  if (env) return externalTarget(env.split(',').map((b) => b.trim()).filter((b) => b.length > 0));
  return startMockBroker(o);
}
