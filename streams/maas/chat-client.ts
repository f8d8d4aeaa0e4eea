import { randomUUID } from 'node:crypto';
import { MaasflowError } from '../../engine/errors.ts';
import { runIdOf } from '../../operators/maas/pipeline.ts';
import { checkChatRequest } from '../../operators/maas/request-schema.ts';
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';
import type { EmbeddedLog } from '../log/index.ts';

export interface LogChatClientOptions {
  log: EmbeddedLog;
  /** Where requests go (default `requests`, the pipeline topology's source). */
  requestsTopic?: string;
  /** Where the pipeline answers (default `responses`). */
  responsesTopic?: string;
  /** A request without its response after this long is rejected with CHAT_TIMEOUT (default 30 s). */
  timeoutMs?: number;
  /** How often the responses topic is read while requests wait (default 2 ms). */
  pollMs?: number;
}

interface Waiter { resolve(r: ChatResponse): void; reject(e: Error): void; timer: NodeJS.Timeout }

/**
 * A MaaS client over the log: `chat` appends the request to the requests
 * topic (keyed by user, so a user's messages stay in order) and resolves with
 * the response the pipeline writes for its run id. The run id is known before
 * the pipeline sees the request: it follows from (thread, message id), and a
 * request without a message id is given one here.
 */
export class LogChatClient {
  private readonly log: EmbeddedLog;
  private readonly requestsTopic: string;
  private readonly responsesTopic: string;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly waiting = new Map<string, Waiter>();
  /** Next offset to read per responses partition; responses written before this client started are not ours. */
  private cursors: number[] | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;
  private unreadable = 0;

  constructor(o: LogChatClientOptions) {
    this.log = o.log;
    this.requestsTopic = o.requestsTopic ?? 'requests';
    this.responsesTopic = o.responsesTopic ?? 'responses';
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.pollMs = o.pollMs ?? 2;
    if (!this.log.hasTopic(this.requestsTopic)) this.log.createTopic(this.requestsTopic, { partitions: 1 });
    this.cursors = this.endOffsets();
  }

  /** Requests sent and not yet answered. */
  get pending(): number { return this.waiting.size; }

  /** Records on the responses topic that were not JSON (skipped). */
  get unreadableResponses(): number { return this.unreadable; }

  async chat(input: ChatRequest): Promise<ChatResponse> {
    if (this.closed) throw new MaasflowError('CHAT_CLOSED', 'chat client is closed');
    const problem = checkChatRequest(input);
    if (problem) throw new MaasflowError('REQUEST_INVALID', `chat request: ${problem}`);
    const request: ChatRequest = input.message_id ? input : { ...input, message_id: randomUUID() };
    const runId = runIdOf(request, request.message_id!);
    if (this.waiting.has(runId)) throw new MaasflowError('REQUEST_INVALID', `chat request: message ${request.message_id} of thread ${request.thread_id} is already waiting for its answer`);
    const answered = new Promise<ChatResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(runId);
        reject(new MaasflowError('CHAT_TIMEOUT', `no response for run ${runId} (thread ${request.thread_id}) within ${this.timeoutMs} ms: is the pipeline running?`, { retriable: true }));
      }, this.timeoutMs);
      this.waiting.set(runId, { resolve, reject, timer });
    });
    this.log.appendByKey(this.requestsTopic, [{ key: Buffer.from(request.user_id), value: Buffer.from(JSON.stringify(request)), timestamp: Date.now() }]);
    this.schedulePoll();
    return answered;
  }

  /** Rejects every waiting request; later calls fail with CHAT_CLOSED. */
  close(): void {
    this.closed = true;
    if (this.poller) clearTimeout(this.poller);
    for (const [runId, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new MaasflowError('CHAT_CLOSED', `chat client closed while run ${runId} was waiting`));
    }
    this.waiting.clear();
  }

  private schedulePoll(): void {
    if (this.poller || this.closed) return;
    this.poller = setTimeout(() => {
      this.poller = undefined;
      this.readResponses();
      if (this.waiting.size > 0) this.schedulePoll();
    }, this.pollMs);
  }

  private endOffsets(): number[] | undefined {
    if (!this.log.hasTopic(this.responsesTopic)) return undefined;
    const n = this.log.topicConfig(this.responsesTopic).partitions;
    return Array.from({ length: n }, (_, p) => this.log.endOffset(this.responsesTopic, p));
  }

  private readResponses(): void {
    // The pipeline's sink creates the topic with its first response: everything in it then is new.
    if (!this.cursors) {
      if (!this.log.hasTopic(this.responsesTopic)) return;
      this.cursors = new Array<number>(this.log.topicConfig(this.responsesTopic).partitions).fill(0);
    }
    for (let p = 0; p < this.cursors.length; p++) {
      for (;;) {
        const records = this.log.read(this.responsesTopic, p, this.cursors[p]!, 1024);
        if (records.length === 0) break;
        this.cursors[p] = records.at(-1)!.offset + 1;
        for (const r of records) this.deliver(r.value);
      }
    }
  }

  private deliver(value: Uint8Array): void {
    let response: ChatResponse;
    try {
      response = JSON.parse(Buffer.from(value).toString('utf8')) as ChatResponse;
    } catch {
      this.unreadable++; // the pipeline writes JSON only: something else wrote to the topic
      return;
    }
    const w = this.waiting.get(response.run_id);
    if (!w) return; // someone else's, or a replayed duplicate
    this.waiting.delete(response.run_id);
    clearTimeout(w.timer);
    w.resolve(response);
  }
}
