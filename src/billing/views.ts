import type { ChangeOutcome } from './statuses';
import type { BillingStatus } from '../orgs/statuses';
import type { SubscriptionChangeResult, Json } from '../../workflows/billing.messages';
import type { ChangeDirection, PlanChange } from './changes';
import type { ChargeLine } from './charges';
import { publishedPrices, planPrice, type PublishedPrice } from './prices';
import type { ProrationLineKind } from './proration';
import type { Interval, Plan, Subscription } from './subscription';
import type { TierId } from './tiers';

/**
 * The subscription as GET /v1/subscription, the change routes and the CLI show it: one shape for all,
 * built from the read model or from a workflow's answer, with the prices that apply to it.
 */
export interface SubscriptionView {
  organizationId: string;
  tier: TierId;
  interval: Interval;
  seats: number;
  status: BillingStatus;
  /** Renewals fall on this anniversary (monthly or yearly); credit periods are monthly from it. */
  anchor: string;
  /** The current renewal period; while paused or canceled, the last one, ending when it stopped. */
  currentPeriod: { start: string; end: string };
  /** When the card is charged next: null while paused or canceled, or when it ends at the period end. */
  nextRenewalAt: string | null;
  cancelAtPeriodEnd: boolean;
  /** The plan that takes over at the renewal, and what one interval of it costs. */
  scheduledChange: (Plan & { effectiveAt: string; intervalCents: number }) | null;
  /** One interval of the current plan: the tier's price and the extra seats beyond its included ones. */
  price: { baseCents: number; extraSeats: number; extraSeatCents: number; totalCents: number };
  /** The tier's row of the price table (README, src/billing/prices.ts). */
  tierPrices: PublishedPrice;
}

const iso = (d: Date): string => d.toISOString();

export function subscriptionView(orgId: string, s: Subscription): SubscriptionView {
  const renews = (s.status === 'active' || s.status === 'past_due') && !s.cancelAtPeriodEnd;
  const price = planPrice(s);
  return {
    organizationId: orgId,
    tier: s.tier,
    interval: s.interval,
    seats: s.seats,
    status: s.status,
    anchor: iso(s.anchor),
    currentPeriod: { start: iso(s.period.start), end: iso(s.period.end) },
    nextRenewalAt: renews ? iso(s.period.end) : null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    scheduledChange: s.scheduledChange
      ? {
          tier: s.scheduledChange.tier,
          interval: s.scheduledChange.interval,
          seats: s.scheduledChange.seats,
          effectiveAt: iso(s.period.end),
          intervalCents: planPrice(s.scheduledChange).totalCents,
        }
      : null,
    price: {
      baseCents: price.baseCents,
      extraSeats: price.extraSeats,
      extraSeatCents: price.extraSeatCents,
      totalCents: price.totalCents,
    },
    tierPrices: publishedPrices()[s.tier],
  };
}

/** What the change routes answer: the workflow's outcome, the money moved now, the subscription after. */
export { CHANGE_OUTCOMES, type ChangeOutcome } from './statuses';

export interface ChangeResultView {
  outcome: ChangeOutcome;
  /** Charged (positive) or refunded (negative) now, one line each, and their sum. */
  lines: ChargeLine[];
  totalCents: number;
  subscription: SubscriptionView;
}

export function changeResultView(orgId: string, r: SubscriptionChangeResult): ChangeResultView {
  return {
    outcome: r.outcome,
    lines: r.lines.map(({ description, amountCents }) => ({ description, amountCents })),
    totalCents: r.totalCents,
    subscription: subscriptionView(orgId, reviveSubscription(r.subscription)),
  };
}

export function reviveSubscription(s: Json<Subscription>): Subscription {
  return {
    ...s,
    anchor: new Date(s.anchor),
    period: { start: new Date(s.period.start), end: new Date(s.period.end) },
  };
}

/** POST /v1/subscription/preview: what planChange decides at `at`, and the money it moves then. */
export interface PreviewView {
  /** The instant the amounts are computed for (proration counts whole seconds up to it). */
  at: string;
  outcome: PlanChange['kind'];
  /** null when the request only cancels a scheduled change. */
  direction: ChangeDirection | null;
  from: Plan;
  to: Plan;
  /** When the new plan takes over: `at` for a change made now, the renewal for a scheduled one. */
  effectiveAt: string;
  lines: Array<ChargeLine & { kind: ProrationLineKind }>;
  totalCents: number;
  settlement: 'charge' | 'refund' | 'none';
  /** What waits for the renewal once the change is made. */
  scheduledChange: Plan | null;
}

const plan = (p: Plan): Plan => ({ tier: p.tier, interval: p.interval, seats: p.seats });

export function previewView(change: PlanChange, at: Date): PreviewView {
  const after = change.subscription.scheduledChange;
  const common = { at: iso(at), scheduledChange: after ? plan(after) : null };
  switch (change.kind) {
    case 'applied_now':
      return {
        ...common,
        outcome: change.kind,
        direction: change.direction,
        from: plan(change.from),
        to: plan(change.to),
        effectiveAt: iso(change.at),
        lines: change.proration.lines.map(({ description, amountCents, kind }) => ({
          description,
          amountCents,
          kind,
        })),
        totalCents: change.proration.totalCents,
        settlement: change.settlement,
      };
    case 'scheduled':
      return {
        ...common,
        outcome: change.kind,
        direction: change.direction,
        from: plan(change.from),
        to: plan(change.to),
        effectiveAt: iso(change.effectiveAt),
        lines: [],
        totalCents: 0,
        settlement: 'none',
      };
    case 'unscheduled': {
      const current = plan(change.subscription);
      return {
        ...common,
        outcome: change.kind,
        direction: null,
        from: current,
        to: current,
        effectiveAt: iso(at),
        lines: [],
        totalCents: 0,
        settlement: 'none',
      };
    }
  }
}
