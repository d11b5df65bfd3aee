import { describe, expect, it } from 'vitest';
import { includedAfterChange, type IncludedCredits } from '../../src/billing/allowance';

const credits = (o: Partial<IncludedCredits> = {}): IncludedCredits => ({
  includedThisPeriod: 1_000,
  periodRemaining: 700,
  rolledOverRemaining: 0,
  prepaidBalance: 0,
  reservedCredits: 0,
  ...o,
});

describe('includedAfterChange', () => {
  it('grants an upgrade’s extra allowance now: remaining grows by the difference', () => {
    expect(includedAfterChange(credits(), 6_000)).toEqual({
      includedThisPeriod: 6_000,
      periodRemaining: 5_700,
      granted: 5_000,
      clamped: 0,
    });
  });

  it('leaves an unchanged allowance alone (a seat change)', () => {
    expect(includedAfterChange(credits(), 1_000)).toEqual({
      includedThisPeriod: 1_000,
      periodRemaining: 700,
      granted: 0,
      clamped: 0,
    });
  });

  it('clamps a downgrade now to the new allowance minus what was used', () => {
    // 300 used of 1,000; the new allowance is 400, so 100 are left.
    expect(includedAfterChange(credits(), 400)).toEqual({
      includedThisPeriod: 400,
      periodRemaining: 100,
      granted: 0,
      clamped: 600,
    });
  });

  it('clamps to zero when more was used than the new allowance, never below', () => {
    expect(includedAfterChange(credits({ periodRemaining: 200 }), 400)).toMatchObject({
      periodRemaining: 0,
      clamped: 200,
    });
  });

  it('never takes credits running generations hold, beyond what rolled-over and prepaid credits back', () => {
    // 650 held; rolled-over 100 and prepaid 50 back 150 of it, so 500 must stay in this period's credits.
    const c = credits({ rolledOverRemaining: 100, prepaidBalance: 50, reservedCredits: 650 });
    const after = includedAfterChange(c, 400);
    expect(after).toMatchObject({ periodRemaining: 500, clamped: 200 });
    expect(after.periodRemaining + c.rolledOverRemaining + c.prepaidBalance).toBeGreaterThanOrEqual(
      c.reservedCredits,
    );
    // Holds fully backed elsewhere do not stop the clamp.
    expect(
      includedAfterChange(credits({ prepaidBalance: 5_000, reservedCredits: 650 }), 400).periodRemaining,
    ).toBe(100);
  });

  it('keeps held credits even when more was used than the new allowance', () => {
    // 800 used of 1,000, new allowance 400: nothing would be left, but a running generation holds 150.
    expect(includedAfterChange(credits({ periodRemaining: 200, reservedCredits: 150 }), 400)).toMatchObject({
      periodRemaining: 150,
      clamped: 50,
    });
  });

  it('keeps the balance covering every hold, over a grid of states', () => {
    for (let used = 0; used <= 1_000; used += 125) {
      for (let reserved = 0; reserved <= 1_000 - used + 60; reserved += 90) {
        const c = credits({ periodRemaining: 1_000 - used, prepaidBalance: 60, reservedCredits: reserved });
        for (const allowance of [0, 100, 400, 900, 1_000, 6_000]) {
          const after = includedAfterChange(c, allowance);
          expect(after.periodRemaining + c.prepaidBalance).toBeGreaterThanOrEqual(reserved);
          expect(after.periodRemaining).toBeGreaterThanOrEqual(0);
          expect(after.periodRemaining - c.periodRemaining).toBe(after.granted - after.clamped);
        }
      }
    }
  });

  it('refuses numbers the ledger could not hold', () => {
    expect(() => includedAfterChange(credits({ periodRemaining: 1_001 }), 400)).toThrow(RangeError);
    expect(() => includedAfterChange(credits({ reservedCredits: 701 }), 400)).toThrow(RangeError);
    expect(() => includedAfterChange(credits({ prepaidBalance: -1 }), 400)).toThrow(RangeError);
    expect(() => includedAfterChange(credits(), 1.5)).toThrow(RangeError);
  });
});
