import { mulDivRound } from './rounding';
import type { Interval, Plan } from './subscription';
import { TIER_IDS, type TierId } from './tiers';

/**
 * The price table, in US cents. The seeds give no prices (DESIGN.md §7: "a documented price table");
 * these are our choice, set so that every figure rises with the tier's rank and its allowance
 * (src/billing/tiers.ts), and so that overage always costs more per credit than any credit pack
 * (src/credits/packs.ts: 10¢, 8.2¢, 7.5¢ a credit; 20% less on max, generative and team), which keeps
 * buying a pack the better deal:
 *
 * | tier       | month   | year (−40%) | overage/credit | included seats | extra seat/month | projects  |
 * |------------|---------|-------------|----------------|----------------|------------------|-----------|
 * | free       | $0      | $0          | — (written off)| 1              | —                | 1         |
 * | plus       | $19     | $136.80     | 15¢            | 1              | $15              | 3         |
 * | max        | $49     | $352.80     | 12¢            | 3              | $15              | 10        |
 * | generative | $99     | $712.80     | 12¢            | 5              | $15              | 20        |
 * | pro        | $109    | $784.80     | 12¢            | 5              | $15              | 30        |
 * | team       | $499    | $3,592.80   | 10¢            | 10             | $15              | unlimited |
 *
 * 'pro' (1,000 credits, the GET /v1/credits reference's tier) ranks between generative (900) and team:
 * priced below generative it would be strictly better for more money's worth, and an "upgrade" to
 * max would cut the allowance.
 */
export interface TierPrice {
  monthCents: number;
  /** null: the tier has no overage (the catalog's overage_allowed is false; shortfalls are written off). */
  overageCentsPerCredit: number | null;
  /** Per seat beyond includedSeats, per month; null: the tier sells no extra seats. */
  extraSeatCents: number | null;
  includedSeats: number;
  /** Active projects allowed; null: unlimited. */
  projectLimit: number | null;
}

export const TIER_PRICES: Readonly<Record<TierId, Readonly<TierPrice>>> = Object.freeze({
  free: {
    monthCents: 0,
    overageCentsPerCredit: null,
    extraSeatCents: null,
    includedSeats: 1,
    projectLimit: 1,
  },
  plus: {
    monthCents: 1_900,
    overageCentsPerCredit: 15,
    extraSeatCents: 1_500,
    includedSeats: 1,
    projectLimit: 3,
  },
  max: {
    monthCents: 4_900,
    overageCentsPerCredit: 12,
    extraSeatCents: 1_500,
    includedSeats: 3,
    projectLimit: 10,
  },
  generative: {
    monthCents: 9_900,
    overageCentsPerCredit: 12,
    extraSeatCents: 1_500,
    includedSeats: 5,
    projectLimit: 20,
  },
  pro: {
    monthCents: 10_900,
    overageCentsPerCredit: 12,
    extraSeatCents: 1_500,
    includedSeats: 5,
    projectLimit: 30,
  },
  team: {
    monthCents: 49_900,
    overageCentsPerCredit: 10,
    extraSeatCents: 1_500,
    includedSeats: 10,
    projectLimit: null,
  },
});

export const tierPrice = (tier: TierId): Readonly<TierPrice> => TIER_PRICES[tier];

/** Seed 003: yearly plans have "a 40% discount baked in" (DESIGN.md §7: 12 × monthly × 0.6). */
export const YEARLY_DISCOUNT_PERCENT = 40;

/**
 * A monthly price as a yearly one: round(12 × monthCents × 0.6), the only place that derivation lives.
 * Computed as 12 × monthCents × 60 / 100 in integers and rounded half away from zero (./rounding.ts);
 * every price in the table is a whole number of dollars, so no rounding happens today, but a price
 * like 1,999¢ gives 14,392.8 → 14,393¢.
 */
export function yearlyCents(monthCents: number): number {
  if (!Number.isSafeInteger(monthCents) || monthCents < 0) {
    throw new RangeError('monthCents: must be a non-negative whole number of cents');
  }
  return mulDivRound(12 * monthCents, 100 - YEARLY_DISCOUNT_PERCENT, 100);
}

export const centsPerInterval = (monthCents: number, interval: Interval): number =>
  interval === 'month' ? monthCents : yearlyCents(monthCents);

/** Seats the tier allows at most: its included seats when it sells no extra ones; null: no limit. */
export const seatLimit = (tier: TierId): number | null =>
  TIER_PRICES[tier].extraSeatCents === null ? TIER_PRICES[tier].includedSeats : null;

export interface SubscriptionPrice extends Plan {
  /** The tier's price for one interval. */
  baseCents: number;
  extraSeats: number;
  /** One extra seat for one interval (yearly seats get the same 40% off, derived per seat). */
  extraSeatCents: number;
  /** baseCents + extraSeats × extraSeatCents: what one interval of this plan costs. */
  totalCents: number;
}

/**
 * What one interval of a plan costs, extra seats included. Callers validate the seat count first
 * (./limits.ts requireSeatsWithinLimit); seats a tier cannot have are a programming error here.
 */
export function subscriptionPrice(tier: TierId, interval: Interval, seats: number): SubscriptionPrice {
  const p = TIER_PRICES[tier];
  if (!Number.isInteger(seats) || seats < 1) throw new RangeError('seats: must be a positive integer');
  const extraSeats = Math.max(0, seats - p.includedSeats);
  if (extraSeats > 0 && p.extraSeatCents === null) {
    throw new RangeError(`seats: ${tier} allows at most ${p.includedSeats}`);
  }
  const baseCents = centsPerInterval(p.monthCents, interval);
  const extraSeatCents = p.extraSeatCents === null ? 0 : centsPerInterval(p.extraSeatCents, interval);
  return {
    tier,
    interval,
    seats,
    baseCents,
    extraSeats,
    extraSeatCents,
    totalCents: baseCents + extraSeats * extraSeatCents,
  };
}

export const planPrice = (plan: Plan): SubscriptionPrice =>
  subscriptionPrice(plan.tier, plan.interval, plan.seats);

/** The table as GET /v1/subscription and the simulator publish it. */
export interface PublishedPrice extends TierPrice {
  yearCents: number;
  extraSeatYearCents: number | null;
}

export function publishedPrices(): Record<TierId, PublishedPrice> {
  return Object.fromEntries(
    TIER_IDS.map((tier) => {
      const p = TIER_PRICES[tier];
      return [
        tier,
        {
          ...p,
          yearCents: yearlyCents(p.monthCents),
          extraSeatYearCents: p.extraSeatCents === null ? null : yearlyCents(p.extraSeatCents),
        },
      ];
    }),
  ) as Record<TierId, PublishedPrice>;
}
