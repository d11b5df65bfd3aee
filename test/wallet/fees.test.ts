import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLATFORM_FEE_BPS, platformFeeCents } from '../../src/wallet/fees';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('platformFeeCents: spend × bps / 10,000, to the cent, halves up', () => {
  it('rounds the half cent up at the default 5%', () => {
    expect(DEFAULT_PLATFORM_FEE_BPS).toBe(500);
    expect(platformFeeCents(10, 500)).toBe(1); // 0.5¢
    expect(platformFeeCents(30, 500)).toBe(2); // 1.5¢
    expect(platformFeeCents(10_010, 500)).toBe(501); // 500.5¢
    expect(platformFeeCents(9, 500)).toBe(0); // 0.45¢
    expect(platformFeeCents(11, 500)).toBe(1); // 0.55¢
    expect(platformFeeCents(10_000, 500)).toBe(500);
  });

  it('is exact for any rate and for the largest bill accepted', () => {
    expect(platformFeeCents(1, 5_000)).toBe(1); // 0.5¢
    expect(platformFeeCents(1, 4_999)).toBe(0);
    expect(platformFeeCents(3, 5_000)).toBe(2);
    expect(platformFeeCents(12_345, 0)).toBe(0);
    expect(platformFeeCents(12_345, 10_000)).toBe(12_345);
    expect(platformFeeCents(1_000_000_000, 333)).toBe(33_300_000);
    expect(platformFeeCents(999_999_999, 1)).toBe(100_000); // 99,999.9999¢
  });

  it('meets its definition on a grid: |2·spend·bps − 20,000·fee| ≤ 10,000, ties going up', () => {
    for (let spend = 0; spend <= 400; spend += 7) {
      for (const bps of [1, 99, 250, 333, 500, 750, 1_000, 2_500, 9_999]) {
        const fee = platformFeeCents(spend, bps);
        const gap = 2 * spend * bps - 20_000 * fee;
        expect(Math.abs(gap)).toBeLessThanOrEqual(10_000);
        if (Math.abs(gap) === 10_000) expect(gap).toBe(-10_000);
      }
    }
  });

  it('refuses what is not a bill or a rate', () => {
    expect(() => platformFeeCents(-1, 500)).toThrow(/spendCents/);
    expect(() => platformFeeCents(1.5, 500)).toThrow(/spendCents/);
    expect(() => platformFeeCents(100, 10_001)).toThrow(/feeBps/);
    expect(() => platformFeeCents(100, 2.5)).toThrow(/feeBps/);
  });
});

describe('the database applies the same rule (wallet_fee_cents)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ max: 2 });
  });
  afterAll(() => t?.close());

  it('agrees with platformFeeCents on every half cent and around it', async () => {
    const pairs: [number, number][] = [];
    for (const bps of [1, 50, 333, 500, 501, 1_250, 5_000, 9_999, 10_000]) {
      // Spends whose fee is exactly n + ½ cent at this rate, and their neighbours.
      for (let n = 0; n < 40; n++) {
        const half = ((2 * n + 1) * 5_000) / bps;
        for (const spend of [Math.floor(half) - 1, Math.floor(half), Math.ceil(half), Math.ceil(half) + 1]) {
          if (spend >= 0) pairs.push([spend, bps]);
        }
      }
      pairs.push([1_000_000_000, bps]);
    }
    const { rows } = await sql<{ spend: number; bps: number; fee: number }>`
      SELECT s AS spend, b AS bps, wallet_fee_cents(s, b) AS fee
        FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::int[]) AS x(s, b)
    `.execute(t.db);
    expect(rows).toHaveLength(pairs.length);
    for (const r of rows)
      expect([r.spend, r.bps, r.fee]).toEqual([r.spend, r.bps, platformFeeCents(r.spend, r.bps)]);
  });
});
