import { describe, expect, it } from 'vitest';
import { planChange } from '../../src/billing/changes';
import { cancel, pause, resubscribe, resume } from '../../src/billing/lifecycle';
import { d, expectRefusal, iso, subscription } from './support';

const at = d('2026-03-15T12:00:00Z');
const pro = subscription();

describe('cancel', () => {
  it('ends an active subscription at the period end, dropping a scheduled change', () => {
    const scheduled = planChange(pro, { tier: 'plus' }, at).subscription;
    expect(cancel(scheduled, at)).toEqual({
      kind: 'at_period_end',
      effectiveAt: pro.period.end,
      clearedChange: { tier: 'plus', interval: 'month', seats: 1 },
      subscription: { ...pro, cancelAtPeriodEnd: true },
    });
  });

  it('ends a past_due or paused subscription now: no paid time is left to keep', () => {
    for (const status of ['past_due', 'paused'] as const) {
      const result = cancel(subscription({ status }), at);
      expect(result).toMatchObject({
        kind: 'immediate',
        effectiveAt: at,
        subscription: { status: 'canceled' },
      });
      expect(result.subscription.period.end).toEqual(at);
    }
  });

  it('refuses a canceled subscription and a second cancel', () => {
    expectRefusal(() => cancel(subscription({ status: 'canceled' }), at), 'SUBSCRIPTION_CANCELED');
    expectRefusal(
      () => cancel(subscription({ cancelAtPeriodEnd: true }), at),
      'SUBSCRIPTION_STATE_CONFLICT',
      {
        effectiveAt: '2026-03-31T10:00:00.000Z',
      },
    );
    expect(() => cancel(pro, pro.period.end)).toThrow(RangeError);
  });
});

describe('resume', () => {
  it('undoes a pending cancel before the period end', () => {
    const ending = cancel(pro, at).subscription;
    expect(resume(ending, d('2026-03-31T09:59:59Z'))).toEqual({ kind: 'cancel_undone', subscription: pro });
    expect(() => resume(ending, pro.period.end)).toThrow(RangeError);
  });

  it('ends a pause with a new period and anchor at the resume time, charged in full', () => {
    const paused = pause(pro, at).subscription;
    const resumedAt = d('2026-06-20T08:00:00Z');
    const result = resume(paused, resumedAt);
    expect(result).toMatchObject({
      kind: 'unpaused',
      proration: { totalCents: 10_900, lines: [{ kind: 'new_period', amountCents: 10_900 }] },
      allowance: { kind: 'new_period', toAllowance: 1_000 },
      subscription: { status: 'active', anchor: resumedAt, tier: 'pro', scheduledChange: null },
    });
    expect(iso(result.subscription.period)).toEqual(['2026-06-20T08:00:00.000Z', '2026-07-20T08:00:00.000Z']);
  });

  it('refuses when there is nothing to resume', () => {
    expectRefusal(() => resume(pro, at), 'SUBSCRIPTION_STATE_CONFLICT', { status: 'active' });
    expectRefusal(() => resume(subscription({ status: 'past_due' }), at), 'SUBSCRIPTION_STATE_CONFLICT');
    expectRefusal(() => resume(subscription({ status: 'canceled' }), at), 'SUBSCRIPTION_CANCELED');
  });
});

describe('pause', () => {
  it('stops an active subscription now and refunds the unused paid time', () => {
    const result = pause(pro, at);
    expect(result.proration.lines).toEqual([
      expect.objectContaining({ kind: 'unused_time', amountCents: -5_597 }),
    ]);
    expect(result.proration.totalCents).toBe(-5_597);
    expect(result.subscription).toMatchObject({
      status: 'paused',
      scheduledChange: null,
      cancelAtPeriodEnd: false,
    });
    expect(result.subscription.period.end).toEqual(at);
  });

  it('refunds nothing for a past_due period, which was never paid (dunning’s last failure)', () => {
    expect(pause(subscription({ status: 'past_due' }), at)).toMatchObject({
      proration: { lines: [], totalCents: 0 },
      subscription: { status: 'paused' },
    });
  });

  it('drops a scheduled change: the resume starts from the current plan', () => {
    const scheduled = planChange(pro, { tier: 'plus' }, at).subscription;
    expect(pause(scheduled, at)).toMatchObject({
      clearedChange: { tier: 'plus' },
      subscription: { tier: 'pro', scheduledChange: null },
    });
  });

  it('refuses paused, canceled and ending subscriptions', () => {
    expectRefusal(() => pause(subscription({ status: 'paused' }), at), 'SUBSCRIPTION_STATE_CONFLICT');
    expectRefusal(() => pause(subscription({ status: 'canceled' }), at), 'SUBSCRIPTION_CANCELED');
    expectRefusal(() => pause(subscription({ cancelAtPeriodEnd: true }), at), 'SUBSCRIPTION_STATE_CONFLICT');
    expect(() => pause(pro, d('2027-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('resubscribe', () => {
  const canceled = subscription({ status: 'canceled' });
  const again = d('2026-09-10T00:00:00Z');

  it('starts a new anchor on the last plan, or on the plan asked for, charged in full', () => {
    expect(resubscribe(canceled, { tier: 'pro' }, again)).toMatchObject({
      proration: { totalCents: 10_900 },
      subscription: { status: 'active', anchor: again, tier: 'pro', cancelAtPeriodEnd: false },
    });
    const yearly = resubscribe(canceled, { tier: 'team', interval: 'year' }, again);
    expect(yearly).toMatchObject({
      proration: { totalCents: 359_280 },
      allowance: { kind: 'new_period', toAllowance: 6_000 },
    });
    expect(iso(yearly.subscription.period)).toEqual(['2026-09-10T00:00:00.000Z', '2027-09-10T00:00:00.000Z']);
  });

  it('subscribes again on the last plan when the request names nothing (resume with an empty body)', () => {
    const lastPlan = subscription({ status: 'canceled', tier: 'max', seats: 4 });
    expect(resubscribe(lastPlan, {}, again)).toMatchObject({
      // max: $49 and one extra seat beyond its three at $15.
      proration: { totalCents: 4_900 + 1_500 },
      subscription: { status: 'active', tier: 'max', interval: 'month', seats: 4, anchor: again },
    });
  });

  it('refuses a running subscription, bad input, and seats beyond the tier', () => {
    expectRefusal(() => resubscribe(pro, { tier: 'team' }, again), 'SUBSCRIPTION_STATE_CONFLICT');
    expectRefusal(() => resubscribe(canceled, { tier: 'gold' }, again), 'VALIDATION_FAILED', {
      field: 'tier',
    });
    expectRefusal(() => resubscribe(canceled, { seats: 0 }, again), 'VALIDATION_FAILED', { field: 'seats' });
    expectRefusal(() => resubscribe(canceled, { tier: 'free', seats: 2 }, again), 'PLAN_LIMIT_REACHED');
  });
});
