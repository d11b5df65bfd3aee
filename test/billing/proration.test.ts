import { describe, expect, it } from 'vitest';
import { renewalPeriodContaining } from '../../src/billing/clock';
import { planPrice } from '../../src/billing/prices';
import {
  intervalChange,
  newPeriod,
  prorate,
  secondsLeft,
  settlementOf,
  unusedTime,
} from '../../src/billing/proration';
import type { Plan } from '../../src/billing/subscription';
import { TIER_IDS } from '../../src/billing/tiers';
import { d } from './support';

const anchor = d('2026-01-31T10:00:00Z');
const feb = renewalPeriodContaining(anchor, 'month', d('2026-02-10T00:00:00Z')); // 28 days: 2,419,200 s
const mar = renewalPeriodContaining(anchor, 'month', d('2026-03-10T00:00:00Z')); // 31 days: 2,678,400 s
const plan = (tier: Plan['tier'], interval: Plan['interval'] = 'month', seats = 1): Plan => ({
  tier,
  interval,
  seats,
});
const amounts = (p: { lines: Array<{ amountCents: number; kind: string }> }) =>
  p.lines.map((l) => [l.kind, l.amountCents]);

describe('prorate (same interval): unused time on the old plan, remaining time on the new one', () => {
  it('charges the full difference at the period start', () => {
    const p = prorate(plan('plus'), plan('team'), feb, feb.start);
    expect(amounts(p)).toEqual([
      ['unused_time', -1_900],
      ['remaining_time', 49_900],
    ]);
    expect(p.totalCents).toBe(48_000);
    expect(settlementOf(p)).toBe('charge');
  });

  it('is worth a second’s share (nothing, in whole cents) in the last second', () => {
    const p = prorate(plan('plus'), plan('team'), feb, new Date(feb.end.getTime() - 1000));
    expect(amounts(p)).toEqual([
      ['unused_time', 0],
      ['remaining_time', 0],
    ]);
    expect(Object.is(p.lines[0]!.amountCents, 0)).toBe(true);
    expect(settlementOf(p)).toBe('none');
  });

  it('counts whole seconds, as Stripe does: milliseconds inside a second change nothing', () => {
    const at = d('2026-02-15T08:30:00.000Z');
    expect(prorate(plan('plus'), plan('team'), feb, d('2026-02-15T08:30:00.999Z')).totalCents).toBe(
      prorate(plan('plus'), plan('team'), feb, at).totalCents,
    );
    expect(secondsLeft(feb, at)).toEqual({ remaining: 1_128_600, total: 2_419_200 });
  });

  it('rounds each line on its own, a half cent away from zero (9.5¢ → +10¢ and −10¢)', () => {
    // 1,900¢ × 12,096 s / 2,419,200 s = 9.5¢ exactly.
    const at = new Date(feb.end.getTime() - 12_096_000);
    expect(amounts(prorate(plan('free'), plan('plus'), feb, at))).toEqual([
      ['unused_time', 0],
      ['remaining_time', 10],
    ]);
    expect(amounts(prorate(plan('plus'), plan('free'), feb, at))).toEqual([
      ['unused_time', -10],
      ['remaining_time', 0],
    ]);
  });

  it('prorates mid-period to the cent: pro → team on 15 March at noon', () => {
    // 1,375,200 s of 2,678,400 left: pro 5,596.505¢ → 5,597¢; team 25,620.699¢ → 25,621¢.
    const p = prorate(plan('pro'), plan('team'), mar, d('2026-03-15T12:00:00Z'));
    expect(p.lines).toEqual([
      {
        description: 'Unused time on Pro (monthly, 1 seat) after 2026-03-15T12:00:00.000Z',
        amountCents: -5_597,
        kind: 'unused_time',
      },
      {
        description: 'Remaining time on Team (monthly, 1 seat) after 2026-03-15T12:00:00.000Z',
        amountCents: 25_621,
        kind: 'remaining_time',
      },
    ]);
    expect(p.totalCents).toBe(20_024);
  });

  it('prices seat changes as plan changes of the same tier: 1 → 8 seats on pro (3 extra)', () => {
    const p = prorate(plan('pro'), plan('pro', 'month', 8), mar, d('2026-03-15T12:00:00Z'));
    expect(amounts(p)).toEqual([
      ['unused_time', -5_597],
      ['remaining_time', 7_907],
    ]);
    expect(p.lines[1]!.description).toContain('Pro (monthly, 8 seats)');
  });

  it('refunds a downgrade made now: the negative total', () => {
    const p = prorate(plan('team'), plan('pro'), mar, d('2026-03-15T12:00:00Z'));
    expect(p.totalCents).toBe(-20_024);
    expect(settlementOf(p)).toBe('refund');
  });

  it('nets an upgrade and an immediate downgrade back to exactly zero, for every pair of tiers and time', () => {
    const step = 86_399_000; // just under a day, so the times drift across hours and seconds
    for (let t = mar.start.getTime(); t < mar.end.getTime(); t += step) {
      const at = new Date(t);
      for (const a of TIER_IDS) {
        for (const b of TIER_IDS) {
          const up = prorate(plan(a), plan(b), mar, at);
          const down = prorate(plan(b), plan(a), mar, at);
          expect(up.totalCents + down.totalCents).toBe(0);
          // Never more than the full price of either plan, never the wrong sign.
          expect(up.lines[1]!.amountCents).toBeLessThanOrEqual(planPrice(plan(b)).totalCents);
          expect(up.lines[0]!.amountCents).toBeLessThanOrEqual(0);
        }
      }
    }
  });

  it('never credits more unused time later in the period than earlier', () => {
    let previous = Infinity;
    for (let t = feb.start.getTime(); t < feb.end.getTime(); t += 3_600_000) {
      const credit = -unusedTime(plan('team'), feb, new Date(t)).totalCents;
      expect(credit).toBeLessThanOrEqual(previous);
      previous = credit;
    }
    expect(previous).toBeLessThan(100);
  });

  it('refuses a time outside [start, end) and a change of interval', () => {
    expect(() => prorate(plan('plus'), plan('team'), feb, feb.end)).toThrow(RangeError);
    expect(() => prorate(plan('plus'), plan('team'), feb, new Date(feb.start.getTime() - 1))).toThrow(
      RangeError,
    );
    expect(() => prorate(plan('plus'), plan('team'), feb, d('nope'))).toThrow(RangeError);
    expect(() => prorate(plan('plus'), plan('plus', 'year'), feb, feb.start)).toThrow(RangeError);
    expect(() => intervalChange(plan('plus'), plan('team'), feb, feb.start)).toThrow(RangeError);
    expect(() => secondsLeft({ start: feb.start, end: feb.start }, feb.start)).toThrow(RangeError);
  });
});

describe('intervalChange (monthly ↔ yearly): unused time credited, the new interval charged in full', () => {
  it('monthly → yearly mid-period', () => {
    const at = d('2026-03-15T12:00:00Z');
    const p = intervalChange(plan('pro'), plan('pro', 'year'), mar, at);
    expect(p.lines).toEqual([
      expect.objectContaining({ kind: 'unused_time', amountCents: -5_597 }),
      {
        description: 'Pro (yearly, 1 seat) from 2026-03-15T12:00:00.000Z',
        amountCents: 78_480,
        kind: 'new_period',
      },
    ]);
    expect(p.totalCents).toBe(72_883);
  });

  it('yearly → monthly late in the year is a refund', () => {
    const year = renewalPeriodContaining(anchor, 'year', d('2026-09-01T00:00:00Z'));
    // 13,168,800 s of 31,536,000 left of 78,480¢: 32,771.5…¢ → 32,772¢.
    const p = intervalChange(plan('pro', 'year'), plan('pro'), year, d('2026-09-01T00:00:00Z'));
    expect(amounts(p)).toEqual([
      ['unused_time', -32_772],
      ['new_period', 10_900],
    ]);
    expect(settlementOf(p)).toBe('refund');
  });
});

describe('newPeriod and unusedTime', () => {
  it('charge a full interval, and credit what is left', () => {
    expect(newPeriod(plan('team', 'year', 12), anchor).totalCents).toBe(359_280 + 2 * 10_800);
    expect(unusedTime(plan('pro'), mar, mar.start).totalCents).toBe(-10_900);
  });
});
