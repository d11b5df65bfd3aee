import { invalid } from '../errors';
import { firstPeriod } from './clock';
import { requireChargeablePlan, requireSeatsWithinLimit } from './limits';
import { requireValidDate } from './period';
import { intervalChange, prorate, secondsLeft, settlementOf, type Proration } from './proration';
import { refuse } from './refusals';
import {
  planOf,
  requireInterval,
  requireSeats,
  samePlan,
  type Plan,
  type Subscription,
} from './subscription';
import { requireTier, tierFacts, tierRank } from './tiers';

/**
 * Plan changes (DESIGN.md §7, issue 9):
 * - an upgrade (a higher tier, or more seats on the same tier) applies now, prorated (./proration.ts),
 *   and its credits are granted now;
 * - a downgrade (a lower tier, or fewer seats) waits for the renewal by default, keeping the current
 *   benefits until then; with `effective: "now"` it applies now and the prorated difference is refunded;
 * - monthly ↔ yearly applies now with the anchor reset to the change (Stripe's rule), or at the
 *   renewal when asked.
 * When tier and seats move in opposite directions the tier decides. Only one change may wait for the
 * renewal: asking for the current plan while one waits cancels it.
 */
export const EFFECTIVE = ['now', 'renewal'] as const;
export type Effective = (typeof EFFECTIVE)[number];

/** The request as the API receives it; every field is validated here. */
export interface ChangeRequest {
  tier?: unknown;
  interval?: unknown;
  seats?: unknown;
  effective?: unknown;
}

export type ChangeDirection = 'upgrade' | 'downgrade' | 'interval_change';

/**
 * What a change made now does to this credit period's allowance: `adjust` through
 * ./allowance.ts includedAfterChange with the ledger's live numbers; `new_period` (the anchor moved):
 * the credit period closes at the change and a new one starts with the new allowance.
 */
export type AllowanceChange =
  | { kind: 'adjust'; fromAllowance: number; toAllowance: number }
  | { kind: 'new_period'; toAllowance: number };

export type PlanChange =
  | {
      kind: 'applied_now';
      direction: ChangeDirection;
      from: Plan;
      to: Plan;
      at: Date;
      proration: Proration;
      settlement: 'charge' | 'refund' | 'none';
      allowance: AllowanceChange;
      subscription: Subscription;
    }
  | {
      kind: 'scheduled';
      direction: ChangeDirection;
      from: Plan;
      to: Plan;
      effectiveAt: Date;
      subscription: Subscription;
    }
  | { kind: 'unscheduled'; canceledChange: Plan; subscription: Subscription };

export function requireEffective(value: unknown): Effective | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(EFFECTIVE as readonly string[]).includes(value)) {
    throw invalid('effective', `must be one of ${EFFECTIVE.join(', ')}`);
  }
  return value as Effective;
}

/** The plan a request asks for: omitted fields keep the current value; at least one must be given. */
export function requestedPlan(current: Plan, request: ChangeRequest): Plan {
  if (typeof request !== 'object' || request === null) throw invalid('body', 'must be an object');
  if (request.tier === undefined && request.interval === undefined && request.seats === undefined) {
    throw invalid('body', 'name at least one of tier, interval, seats');
  }
  return {
    tier: request.tier === undefined ? current.tier : requireTier(request.tier),
    interval: request.interval === undefined ? current.interval : requireInterval(request.interval),
    seats: request.seats === undefined ? current.seats : requireSeats(request.seats),
  };
}

export function directionOf(from: Plan, to: Plan): ChangeDirection {
  if (from.interval !== to.interval) return 'interval_change';
  const byTier = tierRank(to.tier) - tierRank(from.tier);
  if (byTier !== 0) return byTier > 0 ? 'upgrade' : 'downgrade';
  return to.seats > from.seats ? 'upgrade' : 'downgrade';
}

/** Refuses any change to a subscription that is not running normally. */
export function requireChangeable(current: Subscription): void {
  if (current.status === 'canceled') {
    throw refuse('SUBSCRIPTION_CANCELED', 'the subscription is canceled: subscribe again instead', {
      status: current.status,
    });
  }
  if (current.status !== 'active') {
    throw refuse(
      'SUBSCRIPTION_STATE_CONFLICT',
      current.status === 'paused'
        ? 'the subscription is paused: resume it first'
        : 'the last renewal is unpaid: update the card first',
      { status: current.status },
    );
  }
  if (current.cancelAtPeriodEnd) {
    throw refuse('SUBSCRIPTION_STATE_CONFLICT', 'the subscription ends at the period end: resume it first', {
      status: current.status,
      cancelAtPeriodEnd: true,
    });
  }
}

function requireInPeriod(current: Subscription, at: Date): void {
  // The workflow renews at the boundary before it handles anything later; a time outside the period
  // means it did not, and no amount computed against this period would be right.
  secondsLeft(current.period, at);
}

/**
 * Validates and classifies a change request against the subscription at business time `at` (inside
 * the current period), and returns what happens now and what waits for the renewal, with the new state.
 * Refusals: VALIDATION_FAILED (unknown tier or interval, bad seats, bad `effective`, nothing asked),
 * SUBSCRIPTION_CANCELED, SUBSCRIPTION_STATE_CONFLICT (paused, past_due, ending at period end),
 * PLAN_LIMIT_REACHED (more seats than the tier allows), PLAN_UNCHANGED, CHANGE_ALREADY_SCHEDULED.
 */
export function planChange(current: Subscription, request: ChangeRequest, at: Date): PlanChange {
  requireValidDate('at', at);
  const from = planOf(current);
  const to = requestedPlan(from, request);
  const effective = requireEffective(request.effective);
  requireChangeable(current);
  requireInPeriod(current, at);
  requireSeatsWithinLimit(to.tier, to.seats);
  requireChargeablePlan(to);

  if (samePlan(from, to)) {
    if (current.scheduledChange) {
      return {
        kind: 'unscheduled',
        canceledChange: current.scheduledChange,
        subscription: { ...current, scheduledChange: null },
      };
    }
    throw refuse('PLAN_UNCHANGED', 'that is the current plan', { plan: from });
  }
  if (current.scheduledChange) {
    throw refuse(
      'CHANGE_ALREADY_SCHEDULED',
      'a change is already scheduled for the renewal: cancel it first by asking for the current plan',
      { scheduledChange: current.scheduledChange, effectiveAt: current.period.end.toISOString() },
    );
  }

  const direction = directionOf(from, to);
  const when: Effective = effective ?? (direction === 'downgrade' ? 'renewal' : 'now');
  if (when === 'renewal') {
    return {
      kind: 'scheduled',
      direction,
      from,
      to,
      effectiveAt: current.period.end,
      subscription: { ...current, scheduledChange: to },
    };
  }

  const toAllowance = tierFacts(to.tier).includedCredits;
  if (direction === 'interval_change') {
    const proration = intervalChange(from, to, current.period, at);
    return {
      kind: 'applied_now',
      direction,
      from,
      to,
      at,
      proration,
      settlement: settlementOf(proration),
      allowance: { kind: 'new_period', toAllowance },
      subscription: { ...current, ...to, anchor: at, period: firstPeriod(at, to.interval) },
    };
  }
  const proration = prorate(from, to, current.period, at);
  return {
    kind: 'applied_now',
    direction,
    from,
    to,
    at,
    proration,
    settlement: settlementOf(proration),
    allowance: { kind: 'adjust', fromAllowance: tierFacts(from.tier).includedCredits, toAllowance },
    subscription: { ...current, ...to },
  };
}
