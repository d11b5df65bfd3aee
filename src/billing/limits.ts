import type { BillingStatus } from '../orgs/statuses';
import { seatLimit, subscriptionPrice, TIER_PRICES } from './prices';
import type { Plan } from './subscription';
import { invalid } from '../errors';
import { refuse } from './refusals';
import type { TierId } from './tiers';

/**
 * Plan limits (seed 000: "each active Project counts against plan limits"; seats are billed beyond the
 * tier's included ones). The numbers live in the price table (./prices.ts).
 */

export const projectLimit = (tier: TierId): number | null => TIER_PRICES[tier].projectLimit;

export const includedSeats = (tier: TierId): number => TIER_PRICES[tier].includedSeats;

/**
 * Whether one more project may be created next to `activeProjects`: PLAN_LIMIT_REACHED (403) at the
 * limit. Limits apply when a project is created; a downgrade never archives existing projects, it only
 * stops new ones until the org is back under the limit.
 */
export function requireProjectAllowed(tier: TierId, activeProjects: number): void {
  if (!Number.isSafeInteger(activeProjects) || activeProjects < 0) {
    throw new RangeError('activeProjects: must be a non-negative integer');
  }
  const limit = projectLimit(tier);
  if (limit !== null && activeProjects >= limit) {
    throw refuse('PLAN_LIMIT_REACHED', `the ${tier} plan allows ${limit} active project(s)`, {
      limit: 'projects',
      tier,
      max: limit,
      current: activeProjects,
    });
  }
}

/** Seats a tier cannot have (free sells no extra seats): PLAN_LIMIT_REACHED (403). */
export function requireSeatsWithinLimit(tier: TierId, seats: number): void {
  const max = seatLimit(tier);
  if (max !== null && seats > max) {
    throw refuse('PLAN_LIMIT_REACHED', `the ${tier} plan allows at most ${max} seat(s)`, {
      limit: 'seats',
      tier,
      max,
      requested: seats,
    });
  }
}

/** The most Stripe charges in one payment (USD): $999,999.99. */
export const MAX_CHARGE_CENTS = 99_999_999;

/**
 * A plan whose one interval costs more than a card can be charged at once cannot be sold as a card
 * subscription (a yearly plan with thousands of seats): refused as VALIDATION_FAILED on the seats.
 */
export function requireChargeablePlan(plan: Plan): void {
  const { totalCents } = subscriptionPrice(plan.tier, plan.interval, plan.seats);
  if (totalCents > MAX_CHARGE_CENTS) {
    throw invalid(
      'seats',
      `this plan would cost ${totalCents} cents per ${plan.interval}, above the ${MAX_CHARGE_CENTS} a card payment can be`,
    );
  }
}

/**
 * New generations need a running subscription: paused and canceled orgs get SUBSCRIPTION_INACTIVE
 * (402); their prepaid credits stay, unusable until they resume. past_due keeps generating while the
 * renewal is retried (./dunning.ts): the decline may be the bank's, not the customer's.
 */
export function requireGenerationsAllowed(status: BillingStatus): void {
  if (status === 'paused' || status === 'canceled') {
    throw refuse('SUBSCRIPTION_INACTIVE', `the subscription is ${status}: resume it to generate`, { status });
  }
}
