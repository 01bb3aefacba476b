/** A token bucket per write key, counted in events: `rate` a second, a burst of one second (at least one full batch). */
export class KeyRateLimit {
  private readonly buckets = new Map<number, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(
    private readonly rate: number,
    maxBatch: number,
  ) {
    this.capacity = Math.max(rate, maxBatch);
  }

  /** 0 when the events may pass (they are counted); else the seconds to wait before trying again. */
  take(key: number, events: number, now = Date.now()): number {
    if (this.rate === 0) return 0;
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= events) {
      bucket.tokens -= events;
      return 0;
    }
    return Math.max(1, Math.ceil((events - bucket.tokens) / this.rate));
  }
}
