/** Per model and role: latency histograms, tokens, tokens/s, queue depth, resident seconds; rendered as Prometheus text for /metrics. */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

interface Series {
  buckets: number[];
  count: number;
  sumMs: number;
  completionTokens: number;
  generationMs: number;
}

export class ModelMetrics {
  private readonly latency = new Map<string, Series>();
  private readonly gauges = new Map<string, () => number>();

  /** One finished call. */
  observe(model: string, role: string, latencyMs: number, completionTokens: number, generationMs: number): void {
    const key = `${model}\0${role}`;
    let s = this.latency.get(key);
    if (!s) this.latency.set(key, (s = { buckets: BUCKETS_MS.map(() => 0), count: 0, sumMs: 0, completionTokens: 0, generationMs: 0 }));
    BUCKETS_MS.forEach((b, i) => {
      if (latencyMs <= b) s.buckets[i]!++;
    });
    s.count++;
    s.sumMs += latencyMs;
    s.completionTokens += completionTokens;
    s.generationMs += generationMs;
  }

  /** A value read at scrape time (queue depth, resident seconds), labelled by model. */
  gauge(name: string, model: string, read: () => number): void {
    this.gauges.set(`${name}\0${model}`, read);
  }

  /** Tokens per second of generation for a model (over all roles), or null before any call. */
  tokensPerSecond(model: string): number | null {
    let tokens = 0;
    let ms = 0;
    for (const [key, s] of this.latency) if (key.startsWith(`${model}\0`)) (tokens += s.completionTokens), (ms += s.generationMs);
    return ms > 0 ? (tokens * 1000) / ms : null;
  }

  prometheus(): string {
    const lines: string[] = [];
    lines.push('# HELP maasflow_inference_latency_ms Inference latency per model and role (queue wait included).', '# TYPE maasflow_inference_latency_ms histogram');
    for (const [key, s] of this.latency) {
      const [model, role] = key.split('\0') as [string, string];
      const labels = `model="${esc(model)}",role="${esc(role)}"`;
      BUCKETS_MS.forEach((b, i) => lines.push(`maasflow_inference_latency_ms_bucket{${labels},le="${b}"} ${s.buckets[i]}`));
      lines.push(`maasflow_inference_latency_ms_bucket{${labels},le="+Inf"} ${s.count}`, `maasflow_inference_latency_ms_sum{${labels}} ${s.sumMs}`, `maasflow_inference_latency_ms_count{${labels}} ${s.count}`);
      lines.push(`maasflow_inference_completion_tokens_total{${labels}} ${s.completionTokens}`);
      lines.push(`maasflow_inference_tokens_per_second{${labels}} ${s.generationMs > 0 ? (s.completionTokens * 1000) / s.generationMs : 0}`);
    }
    const names = [...new Set([...this.gauges.keys()].map((k) => k.split('\0')[0]!))].sort();
    for (const name of names) {
      lines.push(`# TYPE maasflow_${name} gauge`);
      for (const [key, read] of this.gauges) {
        const [n, model] = key.split('\0') as [string, string];
        if (n === name) lines.push(`maasflow_${name}{model="${esc(model)}"} ${read()}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
