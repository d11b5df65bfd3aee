import { invalid } from '../errors';
import type { BillingStatus } from '../orgs/statuses';
import type { Period } from './period';
import { tierFacts, type TierId } from './tiers';

export const INTERVALS = ['month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

/** What is bought: a tier, how often it is paid for, and how many seats. */
export interface Plan {
  tier: TierId;
  interval: Interval;
  seats: number;
}

/**
 * An org's subscription as the billing workflow carries it. `anchor` is the renewal anchor (and the
 * credit periods' anchor); `period` is the current renewal period, or the last one while paused or
 * canceled. `scheduledChange` is the plan that takes over at `period.end`.
 */
export interface Subscription extends Plan {
  status: BillingStatus;
  anchor: Date;
  period: Period;
  scheduledChange: Plan | null;
  cancelAtPeriodEnd: boolean;
}

/**
 * Far above any real org, and low enough that every plan of the price table stays one card payment
 * (./limits.ts requireChargeablePlan: team yearly with 9,000 seats is about $974,513; the API publishes
 * this bound, so a schema-valid request is never refused for its price).
 */
export const MAX_SEATS = 9_000;

export function requireInterval(value: unknown, field = 'interval'): Interval {
  if (typeof value !== 'string' || !(INTERVALS as readonly string[]).includes(value)) {
    throw invalid(field, `must be one of ${INTERVALS.join(', ')}`);
  }
  return value as Interval;
}

export function requireSeats(value: unknown, field = 'seats'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a number');
  if (!Number.isInteger(value)) throw invalid(field, 'must be a whole number of seats');
  if (value < 1) throw invalid(field, 'must be at least 1');
  if (value > MAX_SEATS) throw invalid(field, `must be at most ${MAX_SEATS}`);
  return value;
}

export const planOf = (s: Plan): Plan => ({ tier: s.tier, interval: s.interval, seats: s.seats });

export const samePlan = (a: Plan, b: Plan): boolean =>
  a.tier === b.tier && a.interval === b.interval && a.seats === b.seats;

/** "Pro (monthly, 3 seats)": how a plan is named on proration lines and in messages. */
export function describePlan(plan: Plan): string {
  const cadence = plan.interval === 'month' ? 'monthly' : 'yearly';
  const seats = plan.seats === 1 ? '1 seat' : `${plan.seats} seats`;
  return `${tierFacts(plan.tier).name} (${cadence}, ${seats})`;
}
