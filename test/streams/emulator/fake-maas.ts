/**
 * A stand-in MaaS for the emulator tests. It "remembers" what a message
 * planted (by its eval tags: the fake is a test double, the real MaaS never
 * reads them) and answers questions from that memory, after a seeded random
 * number of event-loop hops so responses complete out of order.
 */
import type { ChatRequest, ChatResponse } from '../../../operators/maas/types.ts';
import { SplitMix32, hashSeed } from '../../../streams/nexmark/prng.ts';

export type FakeMode =
  /** Remembers plants per user (across threads) and answers with the planted statement. */
  | 'remember'
  /** Remembers plants per thread only: cross-thread questions get "I don't know." */
  | 'thread-only'
  /** Always "I don't know." */
  | 'unknown'
  /** Always a confident wrong answer. */
  | 'wrong';

export interface FakeMaas {
  chat: (request: ChatRequest) => Promise<ChatResponse>;
  /** Every request received, in arrival order. */
  calls: ChatRequest[];
}

export interface FakeOptions {
  mode: FakeMode;
  /** Seed of the response delays; omit for no delay. */
  delaySeed?: number;
  /** A run fails (status FAILED) when hash(message_id) mod failEvery is 0; retries (another message id) may pass. */
  failEvery?: number;
  /** These message ids throw instead of answering (an unreachable MaaS). */
  throwOn?: ReadonlySet<string>;
}

export function fakeMaas(o: FakeOptions): FakeMaas {
  const byUser = new Map<string, Map<string, string>>();
  const byThread = new Map<string, Map<string, string>>();
  const calls: ChatRequest[] = [];
  const delays = new SplitMix32(o.delaySeed ?? 0);
  let runs = 0;
  const remember = (m: Map<string, Map<string, string>>, id: string, key: string, text: string): void => {
    let facts = m.get(id);
    if (!facts) m.set(id, (facts = new Map()));
    facts.set(key, text);
  };
  const chat = async (req: ChatRequest): Promise<ChatResponse> => {
    calls.push(req);
    if (o.delaySeed !== undefined) {
      const hops = delays.nextInt(6);
      for (let i = 0; i < hops; i++) await new Promise<void>((r) => setImmediate(r));
      if (delays.nextInt(8) === 0) await new Promise<void>((r) => setTimeout(r, 1));
    }
    if (req.message_id && o.throwOn?.has(req.message_id)) throw new Error(`connection refused (${req.message_id})`);
    const run_id = `run-${req.message_id ?? runs}`;
    runs++;
    const base = { run_id, thread_id: req.thread_id, memories_used: [], param_version: 'v1' };
    if (o.failEvery && req.message_id && hashSeed(7, hashString(req.message_id)) % o.failEvery === 0) {
      return { ...base, status: 'FAILED', answer: null, error: 'injected failure' };
    }
    for (const key of req.eval?.plants ?? []) {
      remember(byUser, req.user_id, key, req.message);
      remember(byThread, req.thread_id, key, req.message);
    }
    const key = req.eval?.golden_facts?.[0];
    let answer = 'Sounds good, here is some general advice.';
    if (key !== undefined) {
      const memory = o.mode === 'remember' ? byUser.get(req.user_id) : o.mode === 'thread-only' ? byThread.get(req.thread_id) : undefined;
      const known = memory?.get(key);
      if (o.mode === 'wrong') answer = 'I believe it is Zanzibar.';
      else answer = known !== undefined ? `You told me: ${known}` : "I don't know.";
    }
    return { ...base, status: 'COMPLETED', answer };
  };
  return { chat, calls };
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h >>> 0;
}
