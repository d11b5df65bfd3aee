import { describe, expect, it } from 'vitest';
import { planCapture } from '../../src/credits/capture';
import { creditTotals } from '../../src/credits/snapshot';
import { requireCredits, MAX_CREDITS_PER_OPERATION } from '../../src/credits/amounts';

const base = {
  includedRemaining: 100,
  prepaidBalance: 100,
  reservedCredits: 120,
  hold: 120,
  overageAllowed: true,
};

describe('planCapture', () => {
  it('charges included before prepaid', () => {
    expect(planCapture({ ...base, actual: 150 })).toEqual({
      fromIncluded: 100,
      fromPrepaid: 50,
      overage: 0,
      writtenOff: 0,
      released: 0,
    });
  });
  it('releases the unused part of the hold', () => {
    expect(planCapture({ ...base, actual: 20 })).toEqual({
      fromIncluded: 20,
      fromPrepaid: 0,
      overage: 0,
      writtenOff: 0,
      released: 100,
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
      const p = planCapture({ ...base, reservedCredits: 170, actual });
      expect(p.fromIncluded + p.fromPrepaid + p.overage + p.writtenOff).toBe(actual);
    }
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
