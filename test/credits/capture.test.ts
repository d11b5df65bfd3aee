import { describe, expect, it } from 'vitest';
import { planCapture } from '../../src/credits/capture';
import { creditTotals } from '../../src/credits/snapshot';
import { requireCredits, MAX_CREDITS_PER_OPERATION } from '../../src/credits/amounts';

const base = {
  includedRemaining: 100,
  rolledOverRemaining: 0,
  pendingExpiry: 0,
  prepaidBalance: 100,
  reservedCredits: 120,
  hold: 120,
  overageAllowed: true,
};

describe('planCapture', () => {
  it('charges included before prepaid', () => {
    expect(planCapture({ ...base, actual: 150 })).toEqual({
      fromPendingExpiry: 0,
      fromRolledOver: 0,
      fromIncluded: 100,
      fromPrepaid: 50,
      overage: 0,
      writtenOff: 0,
      released: 0,
      pendingExpired: 0,
    });
  });
  it('releases the unused part of the hold', () => {
    expect(planCapture({ ...base, actual: 20 })).toEqual({
      fromPendingExpiry: 0,
      fromRolledOver: 0,
      fromIncluded: 20,
      fromPrepaid: 0,
      overage: 0,
      writtenOff: 0,
      released: 100,
      pendingExpired: 0,
    });
  });
  it('charges exactly the hold at the edge', () => {
    expect(planCapture({ ...base, actual: 120 })).toMatchObject({
      fromIncluded: 100,
      fromPrepaid: 20,
      released: 0,
    });
  });
  it('records the uncovered part as overage, or as written off without overage', () => {
    expect(planCapture({ ...base, actual: 230 })).toMatchObject({
      fromIncluded: 100,
      fromPrepaid: 100,
      overage: 30,
      writtenOff: 0,
    });
    expect(planCapture({ ...base, actual: 230, overageAllowed: false })).toMatchObject({
      overage: 0,
      writtenOff: 30,
    });
  });
  it("leaves other generations' holds covered", () => {
    // 200 balance, 170 held of which 50 by someone else: at most 150 is ours to take.
    const p = planCapture({ ...base, reservedCredits: 170, actual: 200 });
    expect(p).toMatchObject({ fromIncluded: 100, fromPrepaid: 50, overage: 50 });
    expect(200 - p.fromIncluded - p.fromPrepaid).toBe(50);
  });
  it('always accounts for every credit of the actual cost', () => {
    for (let actual = 0; actual <= 400; actual += 7) {
      const p = planCapture({
        ...base,
        rolledOverRemaining: 30,
        pendingExpiry: 20,
        reservedCredits: 170,
        actual,
      });
      expect(
        p.fromPendingExpiry + p.fromRolledOver + p.fromIncluded + p.fromPrepaid + p.overage + p.writtenOff,
      ).toBe(actual);
    }
  });
});

describe('planCapture with rolled-over and pending credits (earliest expiry first)', () => {
  const rolled = { ...base, rolledOverRemaining: 40, pendingExpiry: 0 };

  it('spends rolled-over credits before this period’s included ones, and those before prepaid', () => {
    expect(planCapture({ ...rolled, actual: 30 })).toMatchObject({ fromRolledOver: 30, fromIncluded: 0 });
    expect(planCapture({ ...rolled, actual: 150 })).toMatchObject({
      fromRolledOver: 40,
      fromIncluded: 100,
      fromPrepaid: 10,
      overage: 0,
    });
  });

  it('spends credits that expired while held first, keeping the ones other holds still need', () => {
    // 60 pending, all backing holds: ours (120) and another generation's (50).
    const held = { ...base, pendingExpiry: 60, rolledOverRemaining: 40, reservedCredits: 170, hold: 120 };
    expect(planCapture({ ...held, actual: 100 })).toMatchObject({
      fromPendingExpiry: 60,
      fromRolledOver: 40,
      fromIncluded: 0,
      pendingExpired: 0,
    });
    // A small cost leaves pending credits that the other hold (50) does not cover: they expire now.
    expect(planCapture({ ...held, actual: 5 })).toMatchObject({
      fromPendingExpiry: 5,
      fromRolledOver: 0,
      released: 115,
      pendingExpired: 5,
    });
  });

  it('lets every pending credit expire when nothing else is held and the cost is zero', () => {
    expect(
      planCapture({ ...base, pendingExpiry: 120, includedRemaining: 0, reservedCredits: 120, actual: 0 }),
    ).toMatchObject({ fromPendingExpiry: 0, pendingExpired: 120, released: 120 });
  });
});

describe('creditTotals', () => {
  it('floors available at zero', () => {
    expect(creditTotals(600, 5400, 120)).toEqual({ balance: 6000, available: 5880 });
    expect(creditTotals(0, 10, 50)).toEqual({ balance: 10, available: 0 });
  });
});

describe('requireCredits', () => {
  it('accepts whole numbers within range', () => {
    expect(requireCredits('n', 1)).toBe(1);
    expect(requireCredits('n', 0, { min: 0 })).toBe(0);
    expect(requireCredits('n', MAX_CREDITS_PER_OPERATION)).toBe(MAX_CREDITS_PER_OPERATION);
  });
  it.each([0, -1, 0.5, MAX_CREDITS_PER_OPERATION + 1, '5', null, undefined, Number.NaN, 2 ** 53])(
    'refuses %s',
    (v) => {
      expect(() => requireCredits('n', v)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field: 'n' } }),
      );
    },
  );
});
