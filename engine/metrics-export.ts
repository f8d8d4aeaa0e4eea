/**
 * Process-wide sources of Prometheus text for GET /metrics: components that
 * keep metrics (the inference service, the sensor's history) register a
 * renderer while they live; the HTTP API concatenates them at scrape time.
 */
export type MetricsRenderer = () => string | Promise<string>;

const sources = new Map<string, MetricsRenderer>();
let next = 0;

/** Registers a renderer; returns the function that removes it. */
export function registerMetricsSource(name: string, render: MetricsRenderer): () => void {
  const id = `${name}#${next++}`;
  sources.set(id, render);
  return () => void sources.delete(id);
}

/** Every registered source's text, in registration order; a source that fails is reported as a comment, the others still render. */
export async function renderMetrics(): Promise<string> {
  const parts: string[] = [];
  for (const [id, render] of sources) {
    try {
      parts.push(await render());
    } catch (err) {
      parts.push(`# source ${id} failed: ${(err as Error).message.replace(/\n/g, ' ')}\n`);
    }
  }
  return parts.join('');
}
