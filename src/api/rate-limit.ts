export interface RateLimitOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the most requests allowed at once after a quiet spell. */
  burst: number;
  now?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Past this many buckets, full ones are dropped: a full bucket is the same as no bucket. */
const SWEEP_THRESHOLD = 10_000;

/**
 * Token buckets per API key, in this process's memory. This is deliberately per process: it protects
 * one API process from one noisy key without a shared store on the hot path, at the cost that N
 * processes together admit up to N times the configured rate.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly opts: RateLimitOptions) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1)) {
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    }
    this.now = opts.now ?? (() => performance.now());
  }

  take(id: string): RateDecision {
    const now = this.now();
    const bucket = this.refill(this.buckets.get(id), now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.store(id, bucket);
      return { allowed: true };
    }
    this.store(id, bucket);
    return { allowed: false, retryAfterSeconds: this.retryAfter(bucket) };
  }

  /** Whether `id` has a token left, without spending it. */
  check(id: string): RateDecision {
    const bucket = this.refill(this.buckets.get(id), this.now());
    if (bucket.tokens >= 1) return { allowed: true };
    return { allowed: false, retryAfterSeconds: this.retryAfter(bucket) };
  }

  private retryAfter(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.opts.perSecond));
  }

  private refill(bucket: Bucket | undefined, now: number): Bucket {
    if (!bucket) return { tokens: this.opts.burst, at: now };
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    return {
      tokens: Math.min(this.opts.burst, bucket.tokens + elapsedSeconds * this.opts.perSecond),
      at: now,
    };
  }

  private store(id: string, bucket: Bucket): void {
    this.buckets.set(id, bucket);
    const now = this.now();
    // At most one sweep a second, so many busy keys cannot turn every request into a full scan.
    if (this.buckets.size <= SWEEP_THRESHOLD || now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [key, b] of this.buckets)
      if (this.refill(b, now).tokens >= this.opts.burst) this.buckets.delete(key);
  }
}
