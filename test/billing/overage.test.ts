import { describe, expect, it } from 'vitest';
import { overageCharge } from '../../src/billing/overage';

describe('overageCharge', () => {
  it('bills overage credits at the tier’s price per credit', () => {
    expect(overageCharge('pro', 250)).toEqual({
      tier: 'pro',
      credits: 250,
      centsPerCredit: 12,
      amountCents: 3_000,
    });
    expect(overageCharge('plus', 1).amountCents).toBe(15);
    expect(overageCharge('team', 0).amountCents).toBe(0);
  });

  it('has nothing to bill on free, and treats overage recorded there as a bug', () => {
    expect(overageCharge('free', 0)).toMatchObject({ amountCents: 0 });
    expect(() => overageCharge('free', 1)).toThrow(RangeError);
  });

  it('refuses counts that are not whole credits', () => {
    expect(() => overageCharge('pro', -1)).toThrow(RangeError);
    expect(() => overageCharge('pro', 2.5)).toThrow(RangeError);
    expect(() => overageCharge('pro', Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
  });
});
