import { describe, expect, it } from 'vitest';
import {
  BREAKER_DECLINES,
  DECLINE_BACKOFF_MS,
  MINIMUM_TOP_UP_CENTS,
  planAutoTopUp,
  type AutoTopUpState,
} from '../../src/wallet/auto-top-up';

const NOW = new Date('2026-03-08T15:00:00Z');

/** Enabled: top up 5,000 below 10,000, at most 12,000 a day; the balance is below the threshold. */
const state = (over: Partial<AutoTopUpState> = {}): AutoTopUpState => ({
  settings: { enabled: true, thresholdCents: 10_000, amountCents: 5_000, dailyCapCents: 12_000 },
  disabledReason: null,
  consecutiveDeclines: 0,
  lastDeclineAt: null,
  balanceCents: 4_000,
  pendingCents: 0,
  autoTopUpInFlight: false,
  usedTodayCents: 0,
  at: NOW,
  ...over,
});

describe('planAutoTopUp', () => {
  it('charges the configured amount below the threshold', () => {
    expect(planAutoTopUp(state())).toEqual({ action: 'charge', amountCents: 5_000, capReached: false });
  });

  it('does nothing at or above the threshold, pending money included', () => {
    expect(planAutoTopUp(state({ balanceCents: 10_000 }))).toMatchObject({
      action: 'none',
      reason: 'above_threshold',
    });
    // 4,000 settled + 6,000 of ACH in flight: no card charge on top of money already coming.
    expect(planAutoTopUp(state({ pendingCents: 6_000 }))).toMatchObject({
      action: 'none',
      reason: 'above_threshold',
    });
    expect(planAutoTopUp(state({ pendingCents: 5_999 }))).toMatchObject({ action: 'charge' });
  });

  it('never starts a second auto charge while one is in flight', () => {
    expect(
      planAutoTopUp(state({ balanceCents: -50_000, pendingCents: 5_000, autoTopUpInFlight: true })),
    ).toMatchObject({
      action: 'none',
      reason: 'in_flight',
    });
  });

  it('cuts the last charge of the day to what the cap leaves, and stops below the minimum', () => {
    expect(planAutoTopUp(state({ usedTodayCents: 5_000 }))).toEqual({
      action: 'charge',
      amountCents: 5_000,
      capReached: false, // 2,000 left: still a charge of at least the minimum
    });
    expect(planAutoTopUp(state({ usedTodayCents: 10_000 }))).toEqual({
      action: 'charge',
      amountCents: 2_000,
      capReached: true,
    });
    expect(planAutoTopUp(state({ usedTodayCents: 11_001 }))).toEqual({
      action: 'none',
      reason: 'cap_reached',
      capReached: true,
    });
    expect(planAutoTopUp(state({ usedTodayCents: 12_000 }))).toMatchObject({ reason: 'cap_reached' });
    // Exactly the minimum left is still a charge, and it reaches the cap.
    expect(planAutoTopUp(state({ usedTodayCents: 12_000 - MINIMUM_TOP_UP_CENTS }))).toEqual({
      action: 'charge',
      amountCents: MINIMUM_TOP_UP_CENTS,
      capReached: true,
    });
    expect(planAutoTopUp(state({ usedTodayCents: 5_000 }), { minimumCents: 2_001 })).toEqual({
      action: 'charge',
      amountCents: 5_000,
      capReached: true,
    });
  });

  it('does nothing when disabled, whatever else holds', () => {
    const off = state({ settings: { ...state().settings, enabled: false } });
    expect(planAutoTopUp(off)).toMatchObject({ action: 'none', reason: 'disabled' });
  });

  it('backs off an hour after a decline, then tries again', () => {
    const declined = {
      consecutiveDeclines: 1,
      lastDeclineAt: new Date(NOW.getTime() - DECLINE_BACKOFF_MS + 1),
    };
    expect(DECLINE_BACKOFF_MS).toBe(3_600_000);
    expect(planAutoTopUp(state(declined))).toEqual({
      action: 'none',
      reason: 'backoff',
      capReached: false,
      retryAt: new Date(NOW.getTime() + 1),
    });
    expect(
      planAutoTopUp(state({ ...declined, lastDeclineAt: new Date(NOW.getTime() - DECLINE_BACKOFF_MS) })),
    ).toMatchObject({ action: 'charge' });
    // A decline long ago followed by a success (the count is back to 0) holds nothing back.
    expect(planAutoTopUp(state({ consecutiveDeclines: 0, lastDeclineAt: NOW }))).toMatchObject({
      action: 'charge',
    });
    expect(planAutoTopUp(state(declined), { backoffMs: 0 })).toMatchObject({ action: 'charge' });
  });

  it('stays off after three declines in a row, or once the breaker is set', () => {
    expect(BREAKER_DECLINES).toBe(3);
    const long = new Date(NOW.getTime() - 10 * DECLINE_BACKOFF_MS);
    expect(planAutoTopUp(state({ consecutiveDeclines: 2, lastDeclineAt: long }))).toMatchObject({
      action: 'charge',
    });
    expect(planAutoTopUp(state({ consecutiveDeclines: 3, lastDeclineAt: long }))).toMatchObject({
      reason: 'breaker',
    });
    expect(planAutoTopUp(state({ disabledReason: 'declines' }))).toMatchObject({ reason: 'breaker' });
  });

  it('never plans more than the cap over a day of repeated decisions', () => {
    // A day of debits crossing the threshold again and again: each charge lands before the next decision.
    let used = 0;
    const charges: number[] = [];
    for (let i = 0; i < 50; i++) {
      const plan = planAutoTopUp(state({ usedTodayCents: used, balanceCents: 0 }));
      if (plan.action !== 'charge') break;
      charges.push(plan.amountCents);
      used += plan.amountCents;
    }
    expect(charges).toEqual([5_000, 5_000, 2_000]);
    expect(used).toBe(12_000);
  });
});
