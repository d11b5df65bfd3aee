import type { ChargeRow } from '../billing/charges';
import { publishedPrices } from '../billing/prices';
import type { ChargeKind, ChargeStatus } from '../billing/statuses';
import type { Interval } from '../billing/subscription';
import { TIER_IDS, type TierId } from '../billing/tiers';
import type { CreditPackPurchase } from '../db/schema';
import { creditPackBusinessKey } from '../credit-packs/ids';
import type { PeriodSummary } from '../credits/periods';
import type { CreditsSnapshot } from '../credits/snapshot';
import type { BillingStatus } from '../orgs/statuses';
import type { SubscriptionSave } from './history';
import type { EventKind } from './scenario';
import type { TimelineInvoice } from './invoice-timeline';
import type { TimelineWallet } from './wallet-timeline';

/**
 * The simulator's output: the org's closed credit periods, every charge and refund, the price table it
 * ran on, the final GET /v1/credits snapshot and the reconciliation's verdict (issue 9), plus what each
 * scenario event did (`events`, an extension: a refused event is part of the story). Times are ISO
 * strings, money integer cents, credits integers.
 */
export interface Timeline {
  periods: TimelinePeriod[];
  charges: TimelineCharge[];
  prices: Record<TierId, TimelinePrice>;
  finalSnapshot: CreditsSnapshot;
  /** An agency org's wallet (issue 10); absent for a BYO org, which has none. */
  wallet?: TimelineWallet;
  /** The invoice each period close issued, in number order (issue 11). */
  invoices: TimelineInvoice[];
  /**
   * Balance columns the ledgers do not explain (src/credits/reconcile.ts findDrift and, for the wallet,
   * src/wallet/reconcile.ts findWalletDrift): 0 when sound.
   */
  ledgerDrift: number;
  events: TimelineEvent[];
}

export interface TimelinePeriod {
  start: string;
  end: string;
  /** The tier the period closed on (after any change made in it). */
  tier: string;
  /** The plan's interval and the subscription's status in the period's last moment. */
  interval: Interval;
  status: BillingStatus;
  includedGranted: number;
  rolledOverIn: number;
  rolloverExpired: number;
  usedCredits: number;
  overageCredits: number;
}

export interface TimelineCharge {
  /** Business time of the charge (a retried renewal keeps the time it first fell due). */
  at: string;
  kind: ChargeKind | 'pack';
  /** Always positive: a refund's kind says the money went back. */
  amountCents: number;
  status: ChargeStatus;
  businessKey: string;
}

export interface TimelinePrice {
  monthCents: number;
  yearCents: number;
  /** null: the tier has no overage (shortfalls are written off). */
  overageCentsPerCredit: number | null;
  /** null: the tier sells no extra seats. */
  extraSeatCents: number | null;
}

export interface TimelineEvent {
  index: number;
  /** The scenario's time (the engine receives it a few milliseconds later: see the charges' `at`). */
  at: string;
  kind: EventKind;
  /** What the engine answered: e.g. applied_now, scheduled, completed, succeeded, attached, refused. */
  outcome: string;
  /** The refusal's stable code (src/errors.ts), when refused. */
  code?: string;
  message?: string;
}

/**
 * The plan in force just before `t`: the last save strictly before it, so the save a close makes at its
 * own boundary (the next period's plan) does not count for the period that ends there.
 */
export function planAt(saves: readonly SubscriptionSave[], t: Date): SubscriptionSave | undefined {
  let found: SubscriptionSave | undefined;
  for (const s of saves) {
    if (s.at.getTime() < t.getTime()) found = s;
    else break;
  }
  return found ?? saves[0];
}

export function timelinePeriods(
  periods: readonly PeriodSummary[],
  saves: readonly SubscriptionSave[],
): TimelinePeriod[] {
  return periods.map((p) => {
    const plan = planAt(saves, new Date(p.end));
    if (!plan) throw new Error(`no saved subscription before ${p.end}`);
    return {
      start: p.start,
      end: p.end,
      tier: p.tier,
      interval: plan.interval,
      status: plan.status,
      includedGranted: p.includedGranted,
      rolledOverIn: p.rolledOverIn,
      rolloverExpired: p.rolloverExpired,
      usedCredits: p.usedCredits,
      overageCredits: p.overageCredits,
    };
  });
}

/**
 * Subscription charges and credit-pack purchases in one list, in order of business time. A purchase row
 * keeps the wall-clock time it was made, so its business time is the event's (`purchaseTimes`, by the
 * purchase's idempotency key).
 */
export function timelineCharges(
  charges: readonly ChargeRow[],
  purchases: readonly CreditPackPurchase[],
  purchaseTimes: ReadonlyMap<string, Date>,
): TimelineCharge[] {
  const all: TimelineCharge[] = [
    ...charges.map((c) => ({
      at: c.charged_at.toISOString(),
      kind: c.kind,
      amountCents: c.amount_cents,
      status: c.status,
      businessKey: c.business_key,
    })),
    ...purchases.map((p) => {
      const at = purchaseTimes.get(p.idempotency_key);
      if (!at) throw new Error(`credit pack purchase ${p.id} was not made by the scenario`);
      return {
        at: at.toISOString(),
        kind: 'pack' as const,
        amountCents: p.amount_cents,
        status: p.status,
        businessKey: creditPackBusinessKey(p.id),
      };
    }),
  ];
  // Stable: charges made at the same instant keep the order they were made in.
  return all.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function timelinePrices(): Record<TierId, TimelinePrice> {
  const published = publishedPrices();
  return Object.fromEntries(
    TIER_IDS.map((tier) => {
      const p = published[tier];
      return [
        tier,
        {
          monthCents: p.monthCents,
          yearCents: p.yearCents,
          overageCentsPerCredit: p.overageCentsPerCredit,
          extraSeatCents: p.extraSeatCents,
        },
      ];
    }),
  ) as Record<TierId, TimelinePrice>;
}
