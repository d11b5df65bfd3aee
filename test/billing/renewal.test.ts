import { describe, expect, it } from 'vitest';
import { planChange } from '../../src/billing/changes';
import { cancel } from '../../src/billing/lifecycle';
import { renew } from '../../src/billing/renewal';
import { d, iso, subscription } from './support';

const pro = subscription();
const end = pro.period.end; // 2026-03-31T10:00Z

describe('renew at the period end', () => {
  it('charges the next interval and moves to the next period on the same anchor', () => {
    const r = renew(pro, end);
    expect(r).toMatchObject({
      kind: 'renewed',
      price: { totalCents: 10_900 },
      appliedChange: null,
      anchorReset: false,
      includedCredits: 1_000,
      subscription: { tier: 'pro', anchor: pro.anchor, status: 'active' },
    });
    expect(iso(r.subscription.period)).toEqual(['2026-03-31T10:00:00.000Z', '2026-04-30T10:00:00.000Z']);
  });

  it('walks a 31 January anchor through a common and a leap February', () => {
    for (const [year, feb] of [
      [2026, 28],
      [2028, 29],
    ] as const) {
      let s = subscription({ anchor: d(`${year}-01-31T10:00:00Z`) }, d(`${year}-02-01T00:00:00Z`));
      const ends: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = renew(s, s.period.end);
        ends.push(r.subscription.period.start.toISOString().slice(0, 10));
        s = r.subscription;
      }
      expect(ends).toEqual([`${year}-02-${feb}`, `${year}-03-31`, `${year}-04-30`]);
    }
  });

  it('renews a yearly plan anchored on 29 February on 28 February, then 29 again in a leap year', () => {
    let s = subscription({ interval: 'year', anchor: d('2028-02-29T12:00:00Z') }, d('2028-03-01T00:00:00Z'));
    const starts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = renew(s, s.period.end);
      if (r.kind !== 'renewed') throw new Error('unreachable');
      expect(r.price.totalCents).toBe(78_480);
      starts.push(r.subscription.period.start.toISOString().slice(0, 10));
      s = r.subscription;
    }
    expect(starts).toEqual(['2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29']);
  });

  it('applies a scheduled downgrade: the new plan’s price and allowance from the renewal', () => {
    const scheduled = planChange(pro, { tier: 'plus' }, d('2026-03-15T00:00:00Z')).subscription;
    expect(renew(scheduled, end)).toMatchObject({
      kind: 'renewed',
      price: { tier: 'plus', totalCents: 1_900 },
      appliedChange: { tier: 'plus' },
      includedCredits: 100,
      subscription: { tier: 'plus', scheduledChange: null, anchor: pro.anchor },
    });
  });

  it('resets the anchor to the boundary for a scheduled interval change', () => {
    const scheduled = planChange(pro, { interval: 'year', effective: 'renewal' }, d('2026-03-15T00:00:00Z'));
    const r = renew(scheduled.subscription, end);
    expect(r).toMatchObject({
      anchorReset: true,
      price: { totalCents: 78_480 },
      subscription: { anchor: end },
    });
    expect(iso(r.subscription.period)).toEqual(['2026-03-31T10:00:00.000Z', '2027-03-31T10:00:00.000Z']);
  });

  it('ends a subscription canceled at the period end, with no charge', () => {
    const ending = cancel(pro, d('2026-03-15T00:00:00Z')).subscription;
    expect(renew(ending, end)).toEqual({
      kind: 'canceled',
      subscription: { ...pro, status: 'canceled', cancelAtPeriodEnd: false, scheduledChange: null },
    });
  });

  it('refuses a time other than the boundary, and subscriptions that do not renew', () => {
    expect(() => renew(pro, d('2026-03-31T10:00:01Z'))).toThrow(RangeError);
    expect(() => renew(subscription({ status: 'paused' }), end)).toThrow(RangeError);
    expect(() => renew(subscription({ status: 'canceled' }), end)).toThrow(RangeError);
  });
});
