import { INTERVALS, MAX_SEATS } from '../../src/billing/subscription';
import { TIER_IDS } from '../../src/billing/tiers';
import { seatLimit } from '../../src/billing/prices';
import { MAX_CHARGE_CENTS, requireChargeablePlan } from '../../src/billing/limits';
import { subscriptionPrice } from '../../src/billing/prices';
import { planChange } from '../../src/billing/changes';
import { describe, expect, it } from 'vitest';
import { BILLING_ERRORS } from '../../src/billing/error-codes';
import {
  includedSeats,
  projectLimit,
  requireGenerationsAllowed,
  requireProjectAllowed,
  requireSeatsWithinLimit,
} from '../../src/billing/limits';
import { d, expectRefusal, subscription } from './support';

describe('plan limits', () => {
  it('allows projects up to the tier’s limit and answers PLAN_LIMIT_REACHED (403) for one more', () => {
    expect(projectLimit('plus')).toBe(3);
    expect(() => requireProjectAllowed('plus', 2)).not.toThrow();
    expectRefusal(() => requireProjectAllowed('plus', 3), 'PLAN_LIMIT_REACHED', {
      limit: 'projects',
      tier: 'plus',
      max: 3,
      current: 3,
    });
    expect(BILLING_ERRORS.PLAN_LIMIT_REACHED.status).toBe(403);
    expectRefusal(() => requireProjectAllowed('free', 1), 'PLAN_LIMIT_REACHED');
  });

  it('has no project limit on team', () => {
    expect(projectLimit('team')).toBeNull();
    expect(() => requireProjectAllowed('team', 1_000_000)).not.toThrow();
  });

  it('refuses seats beyond what a tier sells', () => {
    expect(includedSeats('team')).toBe(10);
    expect(() => requireSeatsWithinLimit('free', 1)).not.toThrow();
    expectRefusal(() => requireSeatsWithinLimit('free', 2), 'PLAN_LIMIT_REACHED', { limit: 'seats', max: 1 });
    expect(() => requireSeatsWithinLimit('plus', 40)).not.toThrow();
  });

  it('refuses a project count that is not a count', () => {
    expect(() => requireProjectAllowed('plus', -1)).toThrow(RangeError);
    expect(() => requireProjectAllowed('plus', 1.5)).toThrow(RangeError);
  });

  it('lets active and past_due orgs generate; paused and canceled get SUBSCRIPTION_INACTIVE (402)', () => {
    expect(() => requireGenerationsAllowed('active')).not.toThrow();
    expect(() => requireGenerationsAllowed('past_due')).not.toThrow();
    expectRefusal(() => requireGenerationsAllowed('paused'), 'SUBSCRIPTION_INACTIVE', { status: 'paused' });
    expectRefusal(() => requireGenerationsAllowed('canceled'), 'SUBSCRIPTION_INACTIVE', {
      status: 'canceled',
    });
    expect(BILLING_ERRORS.SUBSCRIPTION_INACTIVE.status).toBe(402);
  });
});

describe('a plan a card can pay for', () => {
  it('accepts the largest yearly plan a card payment can cover and refuses one seat more', () => {
    const { totalCents: base } = subscriptionPrice('team', 'year', 10);
    const seatCents = subscriptionPrice('team', 'year', 11).totalCents - base;
    const most = 10 + Math.floor((MAX_CHARGE_CENTS - base) / seatCents);
    expect(() => requireChargeablePlan({ tier: 'team', interval: 'year', seats: most })).not.toThrow();
    expectRefusal(
      () => requireChargeablePlan({ tier: 'team', interval: 'year', seats: most + 1 }),
      'VALIDATION_FAILED',
      {
        field: 'seats',
      },
    );
    expectRefusal(
      () =>
        planChange(
          subscription(),
          { tier: 'team', interval: 'year', seats: most + 1 },
          d('2026-03-15T12:00:00Z'),
        ),
      'VALIDATION_FAILED',
    );
  });
});

describe('the seat bound the API publishes', () => {
  it('keeps every plan of the price table within one card payment', () => {
    for (const tier of TIER_IDS) {
      for (const interval of INTERVALS) {
        const seats = seatLimit(tier) ?? MAX_SEATS;
        expect(() => requireChargeablePlan({ tier, interval, seats })).not.toThrow();
      }
    }
  });
});
