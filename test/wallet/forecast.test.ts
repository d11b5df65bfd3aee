import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/wallet/days';
import { forecastRunway, type DailyTotal, type ForecastInput } from '../../src/wallet/forecast';

const TODAY = '2026-03-20';
/** `cents` on each of the `n` days before today. */
const lastDays = (n: number, cents: number): DailyTotal[] =>
  Array.from({ length: n }, (_, i) => ({ day: addDays(TODAY, -(i + 1)), cents }));

const input = (over: Partial<ForecastInput> = {}): ForecastInput => ({
  today: TODAY,
  dailyTotals: lastDays(30, 10_000),
  balanceCents: 100_000,
  floorCents: 20_000,
  autoTopUp: { active: false, dailyCapCents: 0, usedTodayCents: 0 },
  ...over,
});

describe('forecastRunway', () => {
  it('runs the headroom above the floor down at the trailing averages', () => {
    const f = forecastRunway(input());
    expect(f.trailing7).toEqual({
      windowDays: 7,
      averageDailyCents: 10_000,
      daysUntilFloor: 8, // 80,000 of headroom at 10,000 a day
      floorDate: '2026-03-28',
      autoTopUpCovers: false,
    });
    expect(f.trailing30).toMatchObject({ averageDailyCents: 10_000, daysUntilFloor: 8 });
  });

  it('tells a recent surge (7 days) from the month (30 days), and leaves today out', () => {
    const totals = [...lastDays(7, 30_000), ...lastDays(30, 0).slice(7), { day: TODAY, cents: 1_000_000 }];
    const f = forecastRunway(input({ dailyTotals: totals }));
    expect(f.trailing7).toMatchObject({
      averageDailyCents: 30_000,
      daysUntilFloor: 2,
      floorDate: '2026-03-22',
    });
    expect(f.trailing30).toMatchObject({
      averageDailyCents: 7_000,
      daysUntilFloor: 11,
      floorDate: '2026-03-31',
    });
  });

  it('counts days without bills as zero and rounds the average to the cent, halves up', () => {
    const f = forecastRunway(input({ dailyTotals: [{ day: addDays(TODAY, -1), cents: 7 * 100 + 3 }] }));
    expect(f.trailing7.averageDailyCents).toBe(100); // 703 / 7 = 100.43
    const g = forecastRunway(input({ dailyTotals: [{ day: addDays(TODAY, -3), cents: 7 * 100 + 4 }] }));
    expect(g.trailing7.averageDailyCents).toBe(101); // 704 / 7 = 100.57
    const h = forecastRunway(input({ dailyTotals: [{ day: addDays(TODAY, -2), cents: 15 }] }));
    expect(h.trailing30.averageDailyCents).toBe(1); // 0.5¢ rounds up
    // Older than 30 days: outside both windows.
    expect(
      forecastRunway(input({ dailyTotals: [{ day: addDays(TODAY, -31), cents: 9_999 }] })).trailing30,
    ).toMatchObject({
      averageDailyCents: 0,
    });
  });

  it('has no runway limit without spend, and none left at or below the floor', () => {
    expect(forecastRunway(input({ dailyTotals: [] })).trailing7).toEqual({
      windowDays: 7,
      averageDailyCents: 0,
      daysUntilFloor: null,
      floorDate: null,
      autoTopUpCovers: false,
    });
    expect(forecastRunway(input({ balanceCents: 20_000 })).trailing7).toMatchObject({
      daysUntilFloor: 0,
      floorDate: TODAY,
    });
    expect(forecastRunway(input({ balanceCents: -5_000 })).trailing7).toMatchObject({
      daysUntilFloor: 0,
      floorDate: TODAY,
    });
    expect(forecastRunway(input({ balanceCents: 29_999 })).trailing7).toMatchObject({ daysUntilFloor: 0 });
    expect(forecastRunway(input({ balanceCents: 30_000 })).trailing7).toMatchObject({ daysUntilFloor: 1 });
  });

  it('says whether auto-top-up keeps up within the daily cap, today included', () => {
    const covers = (autoTopUp: ForecastInput['autoTopUp'], balanceCents = 100_000) =>
      forecastRunway(input({ autoTopUp, balanceCents })).trailing7.autoTopUpCovers;
    expect(covers({ active: true, dailyCapCents: 10_000, usedTodayCents: 0 })).toBe(true);
    expect(covers({ active: true, dailyCapCents: 9_999, usedTodayCents: 0 })).toBe(false); // a day costs more than a day's cap
    expect(covers({ active: false, dailyCapCents: 50_000, usedTodayCents: 0 })).toBe(false);
    // At the floor, today's spend must come from today's cap: 10,000 needed, 4,000 left.
    expect(covers({ active: true, dailyCapCents: 20_000, usedTodayCents: 16_000 }, 20_000)).toBe(false);
    expect(covers({ active: true, dailyCapCents: 20_000, usedTodayCents: 10_000 }, 20_000)).toBe(true);
    // With headroom, a spent cap today does not matter yet.
    expect(covers({ active: true, dailyCapCents: 20_000, usedTodayCents: 20_000 })).toBe(true);
  });
});
