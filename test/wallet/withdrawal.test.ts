import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors';
import {
  CARD_REFUND_FEE,
  MIN_REFUND_CENTS,
  planWithdrawal,
  refundFeeCents,
} from '../../src/wallet/withdrawal';

const charge = (topUpId: number, amountCents: number, day: number, refundedCents = 0) => ({
  topUpId,
  amountCents,
  refundedCents,
  startedAt: new Date(Date.UTC(2026, 2, day)),
});

describe('refundFeeCents: 2.9% (halves up) + 30¢ per refund', () => {
  it('is the documented card rule', () => {
    expect(CARD_REFUND_FEE).toEqual({ bps: 290, fixedCents: 30 });
    expect(refundFeeCents(10_000)).toBe(320);
    expect(refundFeeCents(50)).toBe(31); // 1.45¢ → 1¢
    expect(refundFeeCents(1_000)).toBe(59);
    expect(refundFeeCents(1_500)).toBe(74); // 43.5¢ → 44¢
  });
});

describe('planWithdrawal', () => {
  it('refunds the newest card charges first, each leg costing its refund + fee', () => {
    const plan = planWithdrawal({
      settledBalanceCents: 30_000,
      charges: [charge(1, 20_000, 1), charge(3, 10_000, 9), charge(2, 5_000, 5)],
    });
    // 10,000 + 320 from the newest, then 5,000 + 175 from the next, then the rest from the oldest.
    expect(plan.legs.slice(0, 2)).toEqual([
      { topUpId: 3, refundCents: 10_000, feeCents: 320 },
      { topUpId: 2, refundCents: 5_000, feeCents: 175 },
    ]);
    const last = plan.legs[2]!;
    expect(last.topUpId).toBe(1);
    expect(last.refundCents + last.feeCents).toBeLessThanOrEqual(30_000 - 15_495);
    expect(last.refundCents + 1 + refundFeeCents(last.refundCents + 1)).toBeGreaterThan(30_000 - 15_495);
    expect(plan.debitedCents).toBe(plan.refundedCents + plan.feeCents);
    expect(plan.debitedCents + plan.unrefundedCents).toBe(30_000);
    expect(plan.unrefundedCents).toBeLessThanOrEqual(1);
  });

  it('never returns more to a charge than it has left, nor more than the settled balance', () => {
    const plan = planWithdrawal({ settledBalanceCents: 50_000, charges: [charge(1, 10_000, 1, 4_000)] });
    expect(plan.legs).toEqual([{ topUpId: 1, refundCents: 6_000, feeCents: 204 }]);
    expect(plan.unrefundedCents).toBe(50_000 - 6_204); // ACH, wire or refunded money: finance's
    expect(() => planWithdrawal({ settledBalanceCents: 5_000, requestedCents: 5_001, charges: [] })).toThrow(
      DomainError,
    );
    const err = (() => {
      try {
        planWithdrawal({ settledBalanceCents: 5_000, requestedCents: 5_001, charges: [] });
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(err?.code).toBe('WALLET_INSUFFICIENT_BALANCE');
  });

  it('withdraws a requested part only, and nothing from a negative balance', () => {
    const plan = planWithdrawal({
      settledBalanceCents: 50_000,
      requestedCents: 1_059,
      charges: [charge(1, 10_000, 1)],
    });
    expect(plan.legs).toEqual([{ topUpId: 1, refundCents: 1_000, feeCents: 59 }]);
    expect(plan.unrefundedCents).toBe(0);
    expect(planWithdrawal({ settledBalanceCents: -400, charges: [charge(1, 10_000, 1)] })).toEqual({
      legs: [],
      debitedCents: 0,
      refundedCents: 0,
      feeCents: 0,
      unrefundedCents: 0,
    });
  });

  it('skips legs whose refund would be below the minimum', () => {
    expect(MIN_REFUND_CENTS).toBe(100);
    // 130¢ left: a refund of 97¢ + 33¢ fee would fit, but is not worth making.
    const plan = planWithdrawal({ settledBalanceCents: 130, charges: [charge(1, 10_000, 1)] });
    expect(plan.legs).toEqual([]);
    expect(plan.unrefundedCents).toBe(130);
    const exact = planWithdrawal({ settledBalanceCents: 133, charges: [charge(1, 10_000, 1)] });
    expect(exact.legs).toEqual([{ topUpId: 1, refundCents: 100, feeCents: 33 }]);
  });
});
