import { describe, expect, it } from 'vitest';
import { planChange, type ChangeRequest } from '../../src/billing/changes';
import { BILLING_ERRORS } from '../../src/billing/error-codes';
import type { Subscription } from '../../src/billing/subscription';
import { d, expectRefusal, iso, subscription } from './support';

const at = d('2026-03-15T12:00:00Z'); // in [2026-02-28T10:00, 2026-03-31T10:00), 1,375,200 s of 2,678,400 left
const pro = subscription();

describe('planChange: upgrades apply now', () => {
  it('charges the prorated difference and grants the new allowance now', () => {
    const change = planChange(pro, { tier: 'team' }, at);
    expect(change).toMatchObject({
      kind: 'applied_now',
      direction: 'upgrade',
      from: { tier: 'pro', interval: 'month', seats: 1 },
      to: { tier: 'team', interval: 'month', seats: 1 },
      settlement: 'charge',
      allowance: { kind: 'adjust', fromAllowance: 1_000, toAllowance: 6_000 },
      subscription: { tier: 'team', anchor: pro.anchor, period: pro.period, scheduledChange: null },
    });
    if (change.kind !== 'applied_now') throw new Error('unreachable');
    expect(change.proration.lines.map((l) => l.amountCents)).toEqual([-5_597, 25_621]);
    expect(change.proration.totalCents).toBe(20_024);
    expect(planChange(pro, { tier: 'team', effective: 'now' }, at)).toEqual(change);
  });

  it('charges the full difference at the very start of the period', () => {
    const change = planChange(pro, { tier: 'team' }, pro.period.start);
    expect(change).toMatchObject({ kind: 'applied_now', proration: { totalCents: 49_900 - 10_900 } });
  });

  it('treats more seats as an upgrade of the same tier, with no change of allowance', () => {
    expect(planChange(pro, { seats: 8 }, at)).toMatchObject({
      kind: 'applied_now',
      direction: 'upgrade',
      proration: { totalCents: -5_597 + 7_907 },
      allowance: { kind: 'adjust', fromAllowance: 1_000, toAllowance: 1_000 },
      subscription: { tier: 'pro', seats: 8 },
    });
  });

  it('lets the tier decide when tier and seats move opposite ways', () => {
    const eightSeats = subscription({ seats: 8 });
    expect(planChange(eightSeats, { tier: 'team', seats: 1 }, at)).toMatchObject({ direction: 'upgrade' });
    expect(planChange(subscription({ tier: 'team' }), { tier: 'pro', seats: 8 }, at)).toMatchObject({
      direction: 'downgrade',
      kind: 'scheduled',
    });
  });
});

describe('planChange: downgrades wait for the renewal unless asked now', () => {
  it('schedules a downgrade for the period end, keeping the current plan until then', () => {
    const change = planChange(pro, { tier: 'plus' }, at);
    expect(change).toEqual({
      kind: 'scheduled',
      direction: 'downgrade',
      from: { tier: 'pro', interval: 'month', seats: 1 },
      to: { tier: 'plus', interval: 'month', seats: 1 },
      effectiveAt: pro.period.end,
      subscription: { ...pro, scheduledChange: { tier: 'plus', interval: 'month', seats: 1 } },
    });
    expect(planChange(subscription({ seats: 8 }), { seats: 6 }, at)).toMatchObject({ kind: 'scheduled' });
  });

  it('refunds the prorated difference of a downgrade made now and clamps the allowance', () => {
    expect(planChange(subscription({ tier: 'team' }), { tier: 'pro', effective: 'now' }, at)).toMatchObject({
      kind: 'applied_now',
      direction: 'downgrade',
      settlement: 'refund',
      proration: { totalCents: -20_024 },
      allowance: { kind: 'adjust', fromAllowance: 6_000, toAllowance: 1_000 },
      subscription: { tier: 'pro', scheduledChange: null },
    });
  });

  it('cancels a scheduled change when the current plan is asked for', () => {
    const scheduled = planChange(pro, { tier: 'plus' }, at).subscription;
    expect(planChange(scheduled, { tier: 'pro' }, d('2026-03-20T00:00:00Z'))).toEqual({
      kind: 'unscheduled',
      canceledChange: { tier: 'plus', interval: 'month', seats: 1 },
      subscription: pro,
    });
  });
});

describe('planChange: monthly ↔ yearly applies now and resets the anchor', () => {
  it('credits the unused month, charges a full year from the change, anchors there', () => {
    const change = planChange(pro, { interval: 'year' }, at);
    expect(change).toMatchObject({
      kind: 'applied_now',
      direction: 'interval_change',
      proration: { totalCents: 78_480 - 5_597 },
      allowance: { kind: 'new_period', toAllowance: 1_000 },
      subscription: { interval: 'year', anchor: at },
    });
    expect(iso(change.subscription.period)).toEqual(['2026-03-15T12:00:00.000Z', '2027-03-15T12:00:00.000Z']);
  });

  it('can wait for the renewal when asked', () => {
    expect(planChange(pro, { interval: 'year', effective: 'renewal' }, at)).toMatchObject({
      kind: 'scheduled',
      direction: 'interval_change',
      effectiveAt: pro.period.end,
    });
  });

  it('moves tier and interval together', () => {
    const change = planChange(pro, { tier: 'team', interval: 'year', seats: 12 }, at);
    expect(change).toMatchObject({
      direction: 'interval_change',
      proration: { totalCents: 359_280 + 2 * 10_800 - 5_597 },
      allowance: { kind: 'new_period', toAllowance: 6_000 },
    });
  });
});

describe('planChange: bad input is refused with a stable code, the state untouched', () => {
  const refused = (
    s: Subscription,
    request: ChangeRequest,
    code: string,
    details?: Record<string, unknown>,
  ) => {
    const before = structuredClone(s);
    expectRefusal(() => planChange(s, request, at), code, details);
    expect(s).toEqual(before);
  };

  it('VALIDATION_FAILED: unknown tier or interval, bad seats or effective, nothing asked', () => {
    refused(pro, { tier: 'enterprise' }, 'VALIDATION_FAILED', { field: 'tier' });
    refused(pro, { tier: 42 }, 'VALIDATION_FAILED', { field: 'tier' });
    refused(pro, { interval: 'week' }, 'VALIDATION_FAILED', { field: 'interval' });
    for (const seats of [0, -1, 1.5, '3', Number.NaN, Infinity, 10_001, null]) {
      refused(pro, { seats }, 'VALIDATION_FAILED', { field: 'seats' });
    }
    refused(pro, { tier: 'team', effective: 'later' }, 'VALIDATION_FAILED', { field: 'effective' });
    refused(pro, {}, 'VALIDATION_FAILED', { field: 'body' });
    refused(pro, { effective: 'now' }, 'VALIDATION_FAILED', { field: 'body' });
    expectRefusal(() => planChange(pro, null as unknown as ChangeRequest, at), 'VALIDATION_FAILED', {
      field: 'body',
    });
  });

  it('PLAN_UNCHANGED: the current plan with nothing scheduled', () => {
    refused(pro, { tier: 'pro' }, 'PLAN_UNCHANGED');
    refused(pro, { tier: 'pro', interval: 'month', seats: 1, effective: 'now' }, 'PLAN_UNCHANGED');
  });

  it('CHANGE_ALREADY_SCHEDULED: any other change while one waits for the renewal', () => {
    const scheduled = planChange(pro, { tier: 'plus' }, at).subscription;
    refused(scheduled, { tier: 'free' }, 'CHANGE_ALREADY_SCHEDULED', {
      scheduledChange: { tier: 'plus' },
      effectiveAt: '2026-03-31T10:00:00.000Z',
    });
    refused(scheduled, { tier: 'team' }, 'CHANGE_ALREADY_SCHEDULED');
  });

  it('SUBSCRIPTION_CANCELED and SUBSCRIPTION_STATE_CONFLICT: not a running subscription', () => {
    refused(subscription({ status: 'canceled' }), { tier: 'team' }, 'SUBSCRIPTION_CANCELED');
    refused(subscription({ status: 'paused' }), { tier: 'team' }, 'SUBSCRIPTION_STATE_CONFLICT', {
      status: 'paused',
    });
    refused(subscription({ status: 'past_due' }), { tier: 'plus' }, 'SUBSCRIPTION_STATE_CONFLICT');
    refused(subscription({ cancelAtPeriodEnd: true }), { tier: 'team' }, 'SUBSCRIPTION_STATE_CONFLICT', {
      cancelAtPeriodEnd: true,
    });
  });

  it('checks the input before the state: a malformed request to a canceled org is still a 400', () => {
    refused(subscription({ status: 'canceled' }), { tier: 'gold' }, 'VALIDATION_FAILED');
  });

  it('PLAN_LIMIT_REACHED: more seats than the tier sells', () => {
    refused(subscription({ tier: 'plus', seats: 3 }), { tier: 'free' }, 'PLAN_LIMIT_REACHED', {
      limit: 'seats',
    });
  });

  it('answers conflicts with 409', () => {
    for (const code of [
      'PLAN_UNCHANGED',
      'CHANGE_ALREADY_SCHEDULED',
      'SUBSCRIPTION_CANCELED',
      'SUBSCRIPTION_STATE_CONFLICT',
    ] as const) {
      expect(BILLING_ERRORS[code]).toEqual({ status: 409, retryable: false });
    }
  });

  it('refuses a business time outside the current period (the workflow renews first)', () => {
    expect(() => planChange(pro, { tier: 'team' }, pro.period.end)).toThrow(RangeError);
    expect(() => planChange(pro, { tier: 'team' }, d('nope'))).toThrow(RangeError);
  });
});
