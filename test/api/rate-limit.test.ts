import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/api/rate-limit';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the configured rate, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take('b').allowed).toBe(true);
    now += 500; // one token back at 2/s
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    now += 60_000; // never more than the burst
    expect([1, 2, 3, 4].map(() => buckets.take('a').allowed)).toEqual([true, true, true, false]);
  });

  it('tells a slow bucket to come back after whole seconds', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 0.25, burst: 1, now: () => now });
    expect(buckets.take('k').allowed).toBe(true);
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 4 });
    now += 1000;
    expect(buckets.take('k')).toEqual({ allowed: false, retryAfterSeconds: 3 });
  });

  it('checks a bucket without spending it', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1, now: () => now });
    expect(buckets.check('ip')).toEqual({ allowed: true });
    expect(buckets.check('ip')).toEqual({ allowed: true });
    buckets.take('ip');
    expect(buckets.check('ip')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(buckets.check('ip')).toEqual({ allowed: true });
  });

  it('refuses a configuration that could never admit a request', () => {
    expect(() => new TokenBuckets({ perSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBuckets({ perSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
