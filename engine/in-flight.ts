/**
 * Counts batches inside the operator graph that have not finished yet
 * (queued behind, or inside, an asynchronous operator). A checkpoint waits
 * until none is left, so every record before the source position has
 * reached the sinks; the driver waits while too many are in flight.
 */
export class InFlight {
  private n = 0;
  private waiters: { limit: number; resolve: () => void }[] = [];

  get count(): number { return this.n; }

  add(): void { this.n++; }

  done(): void {
    if (this.n > 0) this.n--;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => this.n <= w.limit);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => this.n > w.limit);
    for (const w of ready) w.resolve();
  }

  /** Resolves once at most `limit` batches are in flight (0: the graph is idle). */
  below(limit: number): Promise<void> {
    if (this.n <= limit) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ limit, resolve }));
  }
}
