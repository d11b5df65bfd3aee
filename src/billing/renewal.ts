import { firstPeriod, renewalPeriodContaining } from './clock';
import type { Period } from './period';
import { planPrice, type SubscriptionPrice } from './prices';
import { planOf, type Plan, type Subscription } from './subscription';
import { tierFacts } from './tiers';

/**
 * What happens at a renewal boundary (`at` = the period's end): a pending cancel ends the
 * subscription; otherwise the scheduled change (if any) takes over and the next interval is due at its
 * full price. An interval that changes at the renewal resets the anchor to the boundary (Stripe's rule
 * for a new interval). Whether the charge succeeds is the workflow's business (./dunning.ts); the status
 * is left as it was.
 */
export type Renewal =
  | {
      kind: 'renewed';
      period: Period;
      price: SubscriptionPrice;
      appliedChange: Plan | null;
      anchorReset: boolean;
      /** The new credit period's allowance (the plan's tier). */
      includedCredits: number;
      subscription: Subscription;
    }
  | { kind: 'canceled'; subscription: Subscription };

export function renew(current: Subscription, at: Date): Renewal {
  if (at.getTime() !== current.period.end.getTime()) {
    throw new RangeError(
      `renew: at ${at.toISOString()} is not the period end ${current.period.end.toISOString()}`,
    );
  }
  if (current.status !== 'active' && current.status !== 'past_due') {
    throw new RangeError(`renew: a ${current.status} subscription does not renew`);
  }
  if (current.cancelAtPeriodEnd) {
    return {
      kind: 'canceled',
      subscription: { ...current, status: 'canceled', cancelAtPeriodEnd: false, scheduledChange: null },
    };
  }
  const plan = current.scheduledChange ?? planOf(current);
  const anchorReset = plan.interval !== current.interval;
  const anchor = anchorReset ? at : current.anchor;
  const period = anchorReset
    ? firstPeriod(at, plan.interval)
    : renewalPeriodContaining(anchor, plan.interval, at);
  return {
    kind: 'renewed',
    period,
    price: planPrice(plan),
    appliedChange: current.scheduledChange,
    anchorReset,
    includedCredits: tierFacts(plan.tier).includedCredits,
    subscription: { ...current, ...plan, anchor, period, scheduledChange: null },
  };
}
