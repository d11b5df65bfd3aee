import { describe, expect, it } from 'vitest';
import { TIERS } from '../../src/db/seed/catalog';
import {
  publishedPrices,
  seatLimit,
  subscriptionPrice,
  TIER_PRICES,
  yearlyCents,
} from '../../src/billing/prices';
import { TIER_IDS, tierFacts, tierRank } from '../../src/billing/tiers';

describe('price table', () => {
  it('prices exactly the catalog tiers', () => {
    expect(Object.keys(TIER_PRICES).sort()).toEqual(TIERS.map((t) => t.id).sort());
    expect([...TIER_IDS].sort()).toEqual(TIERS.map((t) => t.id).sort());
  });

  it('rises along the tier order: price strictly, allowance, seats and projects never fall', () => {
    for (let i = 1; i < TIER_IDS.length; i++) {
      const lower = TIER_IDS[i - 1]!;
      const higher = TIER_IDS[i]!;
      expect(tierRank(higher)).toBeGreaterThan(tierRank(lower));
      expect(TIER_PRICES[higher].monthCents).toBeGreaterThan(TIER_PRICES[lower].monthCents);
      expect(tierFacts(higher).includedCredits).toBeGreaterThanOrEqual(tierFacts(lower).includedCredits);
      expect(TIER_PRICES[higher].includedSeats).toBeGreaterThanOrEqual(TIER_PRICES[lower].includedSeats);
      const projects = (t: (typeof TIER_IDS)[number]) => TIER_PRICES[t].projectLimit ?? Infinity;
      expect(projects(higher)).toBeGreaterThanOrEqual(projects(lower));
    }
  });

  it('has overage exactly where the catalog allows it, dearer per credit than the cheapest pack (7.5¢ less 20%)', () => {
    for (const t of TIERS) {
      const price = TIER_PRICES[t.id as (typeof TIER_IDS)[number]].overageCentsPerCredit;
      expect(price !== null).toBe(t.overage_allowed);
      if (price !== null) expect(price).toBeGreaterThan(6);
    }
  });

  it('publishes every figure in whole cents', () => {
    for (const p of Object.values(publishedPrices())) {
      for (const v of [
        p.monthCents,
        p.yearCents,
        p.extraSeatCents,
        p.extraSeatYearCents,
        p.overageCentsPerCredit,
      ]) {
        if (v !== null) expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
      }
    }
    expect(publishedPrices().team).toMatchObject({
      monthCents: 49_900,
      yearCents: 359_280,
      extraSeatYearCents: 10_800,
    });
  });
});

describe('yearly price: round(12 × monthly × 0.6)', () => {
  it('takes 40% off twelve months', () => {
    expect(yearlyCents(1_900)).toBe(13_680);
    expect(yearlyCents(49_900)).toBe(359_280);
    expect(yearlyCents(0)).toBe(0);
  });

  it('rounds a fraction of a cent to the nearest, a half up', () => {
    expect(yearlyCents(1_999)).toBe(14_393); // 14,392.8
    expect(yearlyCents(1)).toBe(7); // 7.2
    expect(yearlyCents(5)).toBe(36); // exactly 36
    expect(yearlyCents(3)).toBe(22); // 21.6
    // 7.2 × whole cents ends in .0, .2, .4, .6 or .8: a yearly price never lands on a half cent.
  });

  it('refuses negative and fractional cents', () => {
    expect(() => yearlyCents(-1)).toThrow(RangeError);
    expect(() => yearlyCents(10.5)).toThrow(RangeError);
  });
});

describe('subscriptionPrice', () => {
  it('charges extra seats beyond the included ones, monthly', () => {
    expect(subscriptionPrice('pro', 'month', 5)).toMatchObject({
      baseCents: 10_900,
      extraSeats: 0,
      totalCents: 10_900,
    });
    expect(subscriptionPrice('pro', 'month', 8)).toMatchObject({
      extraSeats: 3,
      extraSeatCents: 1_500,
      totalCents: 10_900 + 3 * 1_500,
    });
  });

  it('takes the same 40% off yearly seats, derived per seat', () => {
    expect(subscriptionPrice('team', 'year', 12)).toMatchObject({
      baseCents: 359_280,
      extraSeats: 2,
      extraSeatCents: 10_800,
      totalCents: 359_280 + 2 * 10_800,
    });
  });

  it('refuses seats a tier cannot have (callers check limits first)', () => {
    expect(seatLimit('free')).toBe(1);
    expect(seatLimit('plus')).toBeNull();
    expect(() => subscriptionPrice('free', 'month', 2)).toThrow(RangeError);
    expect(() => subscriptionPrice('plus', 'month', 0)).toThrow(RangeError);
    expect(() => subscriptionPrice('plus', 'month', 1.5)).toThrow(RangeError);
  });
});
