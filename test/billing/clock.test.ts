import { describe, expect, it } from 'vitest';
import {
  creditPeriodContaining,
  firstPeriod,
  nextEvent,
  renewalBoundary,
  renewalPeriodContaining,
} from '../../src/billing/clock';
import { d, iso } from './support';

describe('monthly renewals from a 31 January anchor', () => {
  const anchor = d('2026-01-31T10:00:00Z');

  it('ends February on the 28th in a common year and goes back to the 31st', () => {
    expect(iso(renewalPeriodContaining(anchor, 'month', d('2026-02-10T00:00:00Z')))).toEqual([
      '2026-01-31T10:00:00.000Z',
      '2026-02-28T10:00:00.000Z',
    ]);
    expect(iso(renewalPeriodContaining(anchor, 'month', d('2026-02-28T10:00:00Z')))).toEqual([
      '2026-02-28T10:00:00.000Z',
      '2026-03-31T10:00:00.000Z',
    ]);
    expect(iso(renewalPeriodContaining(anchor, 'month', d('2026-04-30T09:59:59Z')))).toEqual([
      '2026-03-31T10:00:00.000Z',
      '2026-04-30T10:00:00.000Z',
    ]);
  });

  it('ends February on the 29th in a leap year', () => {
    const leap = d('2028-01-31T10:00:00Z');
    expect(iso(renewalPeriodContaining(leap, 'month', d('2028-02-29T09:59:59Z')))).toEqual([
      '2028-01-31T10:00:00.000Z',
      '2028-02-29T10:00:00.000Z',
    ]);
    expect(renewalBoundary(leap, 'month', 2).toISOString()).toBe('2028-03-31T10:00:00.000Z');
  });

  it('uses the same boundaries for credit periods on a monthly plan', () => {
    const at = d('2026-02-15T00:00:00Z');
    expect(iso(creditPeriodContaining(anchor, at))).toEqual(
      iso(renewalPeriodContaining(anchor, 'month', at)),
    );
  });
});

describe('yearly renewals', () => {
  const anchor = d('2028-02-29T12:00:00Z');

  it('renew on 29 February in leap years and 28 February otherwise', () => {
    expect([1, 2, 3, 4].map((n) => renewalBoundary(anchor, 'year', n).toISOString())).toEqual([
      '2029-02-28T12:00:00.000Z',
      '2030-02-28T12:00:00.000Z',
      '2031-02-28T12:00:00.000Z',
      '2032-02-29T12:00:00.000Z',
    ]);
    expect(iso(renewalPeriodContaining(anchor, 'year', d('2031-06-01T00:00:00Z')))).toEqual([
      '2031-02-28T12:00:00.000Z',
      '2032-02-29T12:00:00.000Z',
    ]);
    expect(iso(renewalPeriodContaining(anchor, 'year', d('2029-02-28T11:59:59.999Z')))[1]).toBe(
      '2029-02-28T12:00:00.000Z',
    );
  });

  it('refresh credits monthly from the same anchor, and the 12th credit boundary is the renewal', () => {
    expect(iso(creditPeriodContaining(anchor, d('2028-03-01T00:00:00Z')))).toEqual([
      '2028-02-29T12:00:00.000Z',
      '2028-03-29T12:00:00.000Z',
    ]);
    const lastCredit = creditPeriodContaining(anchor, d('2029-02-10T00:00:00Z'));
    expect(iso(lastCredit)).toEqual(['2029-01-29T12:00:00.000Z', '2029-02-28T12:00:00.000Z']);
    expect(lastCredit.end.getTime()).toBe(renewalBoundary(anchor, 'year', 1).getTime());
  });

  it('start a first period a full year long from a new anchor', () => {
    expect(iso(firstPeriod(d('2026-03-15T12:00:00Z'), 'year'))).toEqual([
      '2026-03-15T12:00:00.000Z',
      '2027-03-15T12:00:00.000Z',
    ]);
  });
});

describe('nextEvent', () => {
  const anchor = d('2026-01-31T10:00:00Z');

  it('on a monthly plan: credit period end and renewal together, at the next boundary', () => {
    expect(nextEvent({ anchor, interval: 'month', status: 'active' }, d('2026-02-03T00:00:00Z'))).toEqual({
      at: d('2026-02-28T10:00:00Z'),
      kinds: ['credit_period_end', 'renewal'],
    });
  });

  it('counts strictly after `after`, so the boundary just handled is not returned again', () => {
    const e = nextEvent({ anchor, interval: 'month', status: 'active' }, d('2026-02-28T10:00:00Z'));
    expect(e?.at.toISOString()).toBe('2026-03-31T10:00:00.000Z');
  });

  it('on a yearly plan: eleven credit boundaries alone, then both at the renewal', () => {
    const state = { anchor, interval: 'year' as const, status: 'active' as const };
    let after = anchor;
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      const e = nextEvent(state, after)!;
      seen.push(`${e.at.toISOString().slice(0, 10)} ${e.kinds.join('+')}`);
      after = e.at;
    }
    expect(seen.slice(0, 2)).toEqual(['2026-02-28 credit_period_end', '2026-03-31 credit_period_end']);
    expect(seen.filter((s) => s.includes('renewal'))).toEqual(['2027-01-31 credit_period_end+renewal']);
  });

  it('wakes earlier for a rolled-over grant expiring or a payment retry', () => {
    const after = d('2026-02-03T00:00:00Z');
    expect(
      nextEvent(
        { anchor, interval: 'month', status: 'active', rolloverExpiresAt: d('2026-02-20T00:00:00Z') },
        after,
      ),
    ).toEqual({ at: d('2026-02-20T00:00:00Z'), kinds: ['rollover_expiry'] });
    expect(
      nextEvent(
        { anchor, interval: 'month', status: 'past_due', nextRetryAt: d('2026-02-04T00:00:00Z') },
        after,
      ),
    ).toEqual({ at: d('2026-02-04T00:00:00Z'), kinds: ['payment_retry'] });
    // A retry only matters while past_due.
    expect(
      nextEvent(
        { anchor, interval: 'month', status: 'active', nextRetryAt: d('2026-02-04T00:00:00Z') },
        after,
      )?.kinds,
    ).toEqual(['credit_period_end', 'renewal']);
  });

  it('merges events at the same instant in handling order', () => {
    const boundary = d('2026-02-28T10:00:00Z');
    expect(
      nextEvent(
        { anchor, interval: 'month', status: 'active', rolloverExpiresAt: boundary },
        d('2026-02-03T00:00:00Z'),
      ),
    ).toEqual({ at: boundary, kinds: ['rollover_expiry', 'credit_period_end', 'renewal'] });
  });

  it('has no periods while paused or canceled: only a grant left to expire, else nothing', () => {
    const after = d('2026-02-03T00:00:00Z');
    expect(nextEvent({ anchor, interval: 'month', status: 'paused' }, after)).toBeNull();
    expect(
      nextEvent({ anchor, interval: 'month', status: 'canceled', rolloverExpiresAt: after }, after),
    ).toBeNull();
    expect(
      nextEvent(
        { anchor, interval: 'month', status: 'canceled', rolloverExpiresAt: d('2026-03-01T00:00:00Z') },
        after,
      ),
    ).toEqual({ at: d('2026-03-01T00:00:00Z'), kinds: ['rollover_expiry'] });
  });

  it('refuses invalid dates', () => {
    expect(() => nextEvent({ anchor, interval: 'month', status: 'active' }, d('nope'))).toThrow(RangeError);
    expect(() => renewalPeriodContaining(d('nope'), 'year', anchor)).toThrow(RangeError);
    expect(() => firstPeriod(d('nope'), 'month')).toThrow(RangeError);
  });
});
