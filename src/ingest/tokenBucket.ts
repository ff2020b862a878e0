/**
 * Per-key token buckets (one per partner) for ingest rate limiting. In-process: each server
 * instance enforces its own share, which is what a load balancer in front of N instances expects.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait before one is available. */
  take(key: string, nowMs: number): number {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, updated: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.updated) / 1000) * this.ratePerSecond);
    b.updated = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerSecond));
  }
}
