import type { KafkaMessage } from 'kafkajs';

/**
 * Fetched-but-not-yet-polled messages per partition, bounded: a partition
 * whose buffer reaches `high` is paused at the consumer and resumed once the
 * engine has drained it below half (backpressure without unbounded buffering).
 */
export class PartitionBuffers {
  private readonly queues = new Map<number, { items: KafkaMessage[]; head: number }>();
  private readonly pausedSet = new Set<number>();

  constructor(
    private readonly high: number,
    private readonly onPause: (partition: number) => void,
    private readonly onResume: (partition: number) => void,
  ) {}

  size(partition: number): number {
    const q = this.queues.get(partition);
    return q ? q.items.length - q.head : 0;
  }

  push(partition: number, message: KafkaMessage): void {
    let q = this.queues.get(partition);
    if (!q) this.queues.set(partition, (q = { items: [], head: 0 }));
    q.items.push(message);
  }

  /** Pauses the partition when its buffer is full (called after a fetched batch was pushed). */
  checkHigh(partition: number): void {
    if (this.size(partition) >= this.high && !this.pausedSet.has(partition)) {
      this.pausedSet.add(partition);
      this.onPause(partition);
    }
  }

  /** Takes up to `max` messages from the front of a partition's buffer. */
  take(partition: number, max: number): KafkaMessage[] {
    const q = this.queues.get(partition);
    if (!q) return [];
    const n = Math.min(max, q.items.length - q.head);
    const out = q.items.slice(q.head, q.head + n);
    q.head += n;
    if (q.head > 4096 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
    if (this.pausedSet.has(partition) && this.size(partition) < this.high / 2) {
      this.pausedSet.delete(partition);
      this.onResume(partition);
    }
    return out;
  }

  /** Forgets a partition (revoked, or re-positioned by a seek). */
  drop(partition: number): void {
    this.queues.delete(partition);
    if (this.pausedSet.delete(partition)) this.onResume(partition);
  }

  paused(partition: number): boolean {
    return this.pausedSet.has(partition);
  }
}
