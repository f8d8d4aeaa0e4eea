/** A minimal Server-Sent Events client for tests: connects with node:http and hands out frames (events and comments) in order. */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';

export interface SseFrame {
  /** `metrics`, or null for a comment frame. */
  event: string | null;
  data: string;
  comment: string | null;
}

export interface SseClient {
  response: http.IncomingMessage;
  /** The next frame, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseFrame>;
  /** The next frame that is an event named `event` (skipping comments and others). */
  nextEvent(event: string, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

function parse(block: string): SseFrame {
  const frame: SseFrame = { event: null, data: '', comment: null };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
    else if (line.startsWith('data:')) frame.data += line.slice(5).trim();
  }
  return frame;
}

export async function connectSse(url: string): Promise<SseClient> {
  const request = http.get(url, { headers: { accept: 'text/event-stream' } });
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  const frames: SseFrame[] = [];
  const arrived = new EventEmitter();
  let buffer = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
      frames.push(parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 2);
    }
    arrived.emit('frame');
  });
  const ended = new Promise<void>((resolve) => response.on('close', resolve));
  const next = async (timeoutMs = 2000): Promise<SseFrame> => {
    const signal = AbortSignal.timeout(timeoutMs);
    while (frames.length === 0) await once(arrived, 'frame', { signal });
    return frames.shift()!;
  };
  return {
    response,
    next,
    async nextEvent(event, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = await next(Math.max(1, deadline - Date.now()));
        if (f.event === event) return f;
      }
    },
    ended,
    close: () => request.destroy(),
  };
}
