import { requestedPlan, type ChangeRequest } from './changes';
import { firstPeriod } from './clock';
import { requireChargeablePlan, requireSeatsWithinLimit } from './limits';
import { requireValidDate } from './period';
import { newPeriod, secondsLeft, unusedTime, type Proration } from './proration';
import { refuse } from './refusals';
import { planOf, type Plan, type Subscription } from './subscription';
import { tierFacts } from './tiers';

/**
 * Cancel, resume, pause and subscribing again, as pure state changes with their refusals.
 *
 * - Cancel (active): at the period end; access until then; `resume` before the end undoes it. A
 *   scheduled change is dropped, since no renewal will apply it. Cancel of a past_due or paused org is
 *   immediate: there is no paid time left to keep.
 * - Pause (active or past_due): now. No renewals and no included credits while paused, so the unused
 *   time of a paid period is refunded (seed 000's prorated refund); a past_due period was never paid
 *   and refunds nothing. Dunning's last failure (./dunning.ts) is this same transition.
 * - Resume: undoes a pending cancel; or ends a pause with a new period and anchor at the resume time,
 *   charged in full.
 * - Subscribe again (canceled): a new anchor at that time, charged in full.
 */

export interface CancelResult {
  kind: 'at_period_end' | 'immediate';
  effectiveAt: Date;
  clearedChange: Plan | null;
  subscription: Subscription;
}

export function cancel(current: Subscription, at: Date): CancelResult {
  requireValidDate('at', at);
  if (current.status === 'canceled') {
    throw refuse('SUBSCRIPTION_CANCELED', 'the subscription is already canceled', { status: current.status });
  }
  if (current.cancelAtPeriodEnd) {
    throw refuse('SUBSCRIPTION_STATE_CONFLICT', 'the subscription already ends at the period end', {
      status: current.status,
      cancelAtPeriodEnd: true,
      effectiveAt: current.period.end.toISOString(),
    });
  }
  if (current.status === 'active') {
    secondsLeft(current.period, at);
    return {
      kind: 'at_period_end',
      effectiveAt: current.period.end,
      clearedChange: current.scheduledChange,
      subscription: { ...current, cancelAtPeriodEnd: true, scheduledChange: null },
    };
  }
  return {
    kind: 'immediate',
    effectiveAt: at,
    clearedChange: current.scheduledChange,
    subscription: { ...stopped(current, at), status: 'canceled' },
  };
}

export interface PauseResult {
  /** The refund of the unused paid time; no lines when the period was not paid (past_due). */
  proration: Proration;
  clearedChange: Plan | null;
  subscription: Subscription;
}

export function pause(current: Subscription, at: Date): PauseResult {
  requireValidDate('at', at);
  if (current.status === 'canceled') {
    throw refuse('SUBSCRIPTION_CANCELED', 'the subscription is canceled', { status: current.status });
  }
  if (current.status === 'paused') {
    throw refuse('SUBSCRIPTION_STATE_CONFLICT', 'the subscription is already paused', {
      status: current.status,
    });
  }
  if (current.cancelAtPeriodEnd) {
    throw refuse('SUBSCRIPTION_STATE_CONFLICT', 'the subscription ends at the period end: resume it first', {
      status: current.status,
      cancelAtPeriodEnd: true,
    });
  }
  secondsLeft(current.period, at);
  const proration: Proration =
    current.status === 'active'
      ? unusedTime(planOf(current), current.period, at)
      : { lines: [], totalCents: 0 };
  return {
    proration,
    clearedChange: current.scheduledChange,
    subscription: { ...stopped(current, at), status: 'paused' },
  };
}

/** A full interval charged from `at`, with the credit period restarting at `at` too. */
export interface FreshStart {
  proration: Proration;
  allowance: { kind: 'new_period'; toAllowance: number };
  subscription: Subscription;
}

export type ResumeResult =
  ({ kind: 'unpaused' } & FreshStart) | { kind: 'cancel_undone'; subscription: Subscription };

export function resume(current: Subscription, at: Date): ResumeResult {
  requireValidDate('at', at);
  if (current.status === 'canceled') {
    throw refuse('SUBSCRIPTION_CANCELED', 'the subscription is canceled: subscribe again instead', {
      status: current.status,
    });
  }
  if (current.status === 'paused') return { kind: 'unpaused', ...freshStart(current, planOf(current), at) };
  if (current.cancelAtPeriodEnd) {
    secondsLeft(current.period, at);
    return { kind: 'cancel_undone', subscription: { ...current, cancelAtPeriodEnd: false } };
  }
  throw refuse(
    'SUBSCRIPTION_STATE_CONFLICT',
    'nothing to resume: the subscription is neither paused nor ending',
    {
      status: current.status,
    },
  );
}

/**
 * Subscribing again after a cancel: the plan asked for (omitted fields keep the last plan; a request
 * naming none of them is the last plan as it was), a new anchor at `at`. Only a canceled subscription
 * can be subscribed again; a running one is changed.
 */
export function resubscribe(current: Subscription, request: ChangeRequest, at: Date): FreshStart {
  requireValidDate('at', at);
  // Unlike a change, where naming nothing is a mistake, "resume" alone means "the plan I had".
  const namesNothing =
    typeof request === 'object' &&
    request !== null &&
    request.tier === undefined &&
    request.interval === undefined &&
    request.seats === undefined;
  const plan = namesNothing ? planOf(current) : requestedPlan(planOf(current), request);
  if (current.status !== 'canceled') {
    throw refuse('SUBSCRIPTION_STATE_CONFLICT', 'the subscription is not canceled: change it instead', {
      status: current.status,
    });
  }
  requireSeatsWithinLimit(plan.tier, plan.seats);
  requireChargeablePlan(plan);
  return freshStart(current, plan, at);
}

function freshStart(current: Subscription, plan: Plan, at: Date): FreshStart {
  return {
    proration: newPeriod(plan, at),
    allowance: { kind: 'new_period', toAllowance: tierFacts(plan.tier).includedCredits },
    subscription: {
      ...current,
      ...plan,
      status: 'active',
      anchor: at,
      period: firstPeriod(at, plan.interval),
      scheduledChange: null,
      cancelAtPeriodEnd: false,
    },
  };
}

/** The subscription stopped at `at`: its last period ends there and nothing waits for a renewal. */
function stopped(current: Subscription, at: Date): Subscription {
  return {
    ...current,
    period: { start: current.period.start, end: at },
    scheduledChange: null,
    cancelAtPeriodEnd: false,
  };
}
