import { MaasflowError } from '../../engine/errors.ts';
import type { ChatRequest, ChatResponse } from '../../operators/maas/types.ts';

/**
 * A MaaS client over HTTP: POST BASE/v1/chat. A run that completed or failed
 * comes back as its ChatResponse (with the run id) whatever the status code;
 * an error without a run (bad body, timeout, server down) is thrown with the
 * server's message.
 */
export function httpChat(baseUrl: string, o: { timeoutMs?: number } = {}): (request: ChatRequest) => Promise<ChatResponse> {
  const url = new URL('/v1/chat', baseUrl).toString();
  const timeoutMs = o.timeoutMs ?? 60_000;
  return async (request) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new MaasflowError('RUNTIME', `POST ${url}: HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof body === 'object' && body !== null && 'run_id' in body) return body as ChatResponse;
    const error = (body as { error?: { code?: string; message?: string } }).error;
    throw new MaasflowError('RUNTIME', `POST ${url}: HTTP ${res.status} ${error?.code ?? ''}: ${error?.message ?? text.slice(0, 200)}`, { retriable: res.status >= 500 });
  };
}
