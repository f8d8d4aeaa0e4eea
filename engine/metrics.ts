/** Counters and gauges of a running topology (read by --json-metrics and, later, /metrics). */
export interface Counter {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly help: string;
  value: number;
  inc(by?: number): void;
}

class SimpleCounter implements Counter {
  value = 0;
  constructor(readonly name: string, readonly labels: Readonly<Record<string, string>>, readonly help: string) {}
  inc(by = 1): void { this.value += by; }
}

export class MetricsRegistry {
  private readonly counters = new Map<string, Counter>();

  counter(name: string, labels: Record<string, string>, help: string): Counter {
    const id = `${name}${JSON.stringify(labels)}`;
    let c = this.counters.get(id);
    if (!c) {
      c = new SimpleCounter(name, labels, help);
      this.counters.set(id, c);
    }
    return c;
  }

  all(): Counter[] { return [...this.counters.values()]; }

  /** Sum of a counter over all label sets, optionally filtered by one label. */
  total(name: string, label?: [string, string]): number {
    let sum = 0;
    for (const c of this.counters.values()) {
      if (c.name !== name) continue;
      if (label && c.labels[label[0]] !== label[1]) continue;
      sum += c.value;
    }
    return sum;
  }

  /** Flat `name{labels}` -> value map with sorted keys (stable output). */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    const rows = this.all().map((c) => {
      const lbl = Object.keys(c.labels).sort().map((k) => `${k}=${c.labels[k]}`).join(',');
      return [lbl ? `${c.name}{${lbl}}` : c.name, c.value] as const;
    });
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [k, v] of rows) out[k] = v;
    return out;
  }
}
