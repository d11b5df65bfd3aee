import type { AutoTopUpSettings } from './auto-top-up';
import type { LocalDay } from './days';
import type {
  PlatformName,
  AutoTopUpDisabledReason,
  TopUpMethod,
  TopUpStatus,
  TopUpTrigger,
  WithdrawalLegStatus,
} from './statuses';

/**
 * The wallet's rows as callers see them: camelCase, cents as numbers, instants as ISO strings, days as
 * 'YYYY-MM-DD'. The wallet_* functions return rows as jsonb (to_jsonb); a Kysely read returns the same
 * columns with Dates: both map here.
 */

type Timestamp = string | Date;
const iso = (v: Timestamp): string => new Date(v).toISOString();
const isoOrNull = (v: Timestamp | null): string | null => (v === null ? null : iso(v));

export interface WalletRowData {
  org_id: string;
  balance_cents: number;
  pending_cents: number;
  floor_cents: number;
  auto_top_up_enabled: boolean;
  auto_top_up_threshold_cents: number;
  auto_top_up_amount_cents: number;
  auto_top_up_daily_cap_cents: number;
  time_zone: string;
  platform_fee_bps: number;
  consecutive_declines: number;
  last_decline_at: Timestamp | null;
  auto_top_up_disabled_reason: AutoTopUpDisabledReason | null;
  ads_paused: boolean;
  ads_paused_reason: string | null;
  ads_paused_at: Timestamp | null;
}

export interface WalletSnapshot {
  organizationId: string;
  /** Settled: spendable, and what the floor and the threshold compare. May be negative (spend owed). */
  balanceCents: number;
  /** Top-ups in flight: shown, never spendable. */
  pendingCents: number;
  floorCents: number;
  /** The IANA zone whose days the daily cap counts in. */
  timeZone: string;
  platformFeeBps: number;
  autoTopUp: AutoTopUpSettings & {
    /** Set when the breaker switched it off; `enabled` stays the org's own setting. */
    disabledReason: AutoTopUpDisabledReason | null;
    consecutiveDeclines: number;
    lastDeclineAt: string | null;
  };
  adsPaused: boolean;
  adsPausedReason: string | null;
  adsPausedAt: string | null;
}

export function toWalletSnapshot(w: WalletRowData): WalletSnapshot {
  return {
    organizationId: w.org_id,
    balanceCents: w.balance_cents,
    pendingCents: w.pending_cents,
    floorCents: w.floor_cents,
    timeZone: w.time_zone,
    platformFeeBps: w.platform_fee_bps,
    autoTopUp: {
      enabled: w.auto_top_up_enabled,
      thresholdCents: w.auto_top_up_threshold_cents,
      amountCents: w.auto_top_up_amount_cents,
      dailyCapCents: w.auto_top_up_daily_cap_cents,
      disabledReason: w.auto_top_up_disabled_reason,
      consecutiveDeclines: w.consecutive_declines,
      lastDeclineAt: isoOrNull(w.last_decline_at),
    },
    adsPaused: w.ads_paused,
    adsPausedReason: w.ads_paused_reason,
    adsPausedAt: isoOrNull(w.ads_paused_at),
  };
}

export interface TopUpRowData {
  id: number;
  business_key: string;
  amount_cents: number;
  method: TopUpMethod;
  trigger: TopUpTrigger;
  status: TopUpStatus;
  payment_intent_id: string | null;
  wire_reference: string | null;
  failure_reason: string | null;
  local_day: LocalDay;
  started_at: Timestamp;
  expected_settlement: LocalDay | null;
  settled_at: Timestamp | null;
}

export interface TopUp {
  id: number;
  /** Its business key: the Stripe idempotency key of its charge. */
  key: string;
  amountCents: number;
  method: TopUpMethod;
  trigger: TopUpTrigger;
  status: TopUpStatus;
  paymentIntentId: string | null;
  wireReference: string | null;
  failureReason: string | null;
  /** The org's local day it started on: the day the cap counts it in. */
  localDay: LocalDay;
  startedAt: string;
  /** ACH only: the last of its 1–3 business days. */
  expectedSettlement: LocalDay | null;
  settledAt: string | null;
}

export const toTopUp = (t: TopUpRowData): TopUp => ({
  id: t.id,
  key: t.business_key,
  amountCents: t.amount_cents,
  method: t.method,
  trigger: t.trigger,
  status: t.status,
  paymentIntentId: t.payment_intent_id,
  wireReference: t.wire_reference,
  failureReason: t.failure_reason,
  localDay: t.local_day,
  startedAt: iso(t.started_at),
  expectedSettlement: t.expected_settlement,
  settledAt: isoOrNull(t.settled_at),
});

export interface DebitRowData {
  platform: PlatformName;
  external_id: string;
  project_id: string;
  spend_cents: number;
  fee_cents: number;
  fee_bps: number;
  occurred_at: Timestamp;
  balance_after_cents: number;
  crossed_threshold: boolean;
  crossed_floor: boolean;
}

/** One platform bill: its spend and fee legs, and what recording it did to the balance. */
export interface Debit {
  platform: PlatformName;
  externalId: string;
  projectId: string;
  spendCents: number;
  feeCents: number;
  feeBps: number;
  occurredAt: string;
  balanceAfterCents: number;
  /**
   * This bill took the settled balance from at or above the auto-top-up threshold to below it, while
   * auto-top-up was on (enabled, breaker not tripped): a disabled wallet's threshold triggers nothing.
   */
  crossedThreshold: boolean;
  /** This bill took the settled balance from at or above the floor to below it. */
  crossedFloor: boolean;
}

export const toDebit = (d: DebitRowData): Debit => ({
  platform: d.platform,
  externalId: d.external_id,
  projectId: d.project_id,
  spendCents: d.spend_cents,
  feeCents: d.fee_cents,
  feeBps: d.fee_bps,
  occurredAt: iso(d.occurred_at),
  balanceAfterCents: d.balance_after_cents,
  crossedThreshold: d.crossed_threshold,
  crossedFloor: d.crossed_floor,
});

export interface WithdrawalLegRowData {
  id: number;
  business_key: string;
  withdrawal_key: string;
  top_up_id: number;
  refund_cents: number;
  fee_cents: number;
  status: WithdrawalLegStatus;
  stripe_refund_id: string | null;
  failure_reason: string | null;
  requested_at: Timestamp;
  settled_at: Timestamp | null;
}

export interface WithdrawalLegRecord {
  id: number;
  /** Its business key: the Stripe idempotency key of its refund. */
  key: string;
  withdrawalKey: string;
  topUpId: number;
  refundCents: number;
  feeCents: number;
  status: WithdrawalLegStatus;
  stripeRefundId: string | null;
  failureReason: string | null;
  requestedAt: string;
  settledAt: string | null;
}

export const toWithdrawalLeg = (l: WithdrawalLegRowData): WithdrawalLegRecord => ({
  id: l.id,
  key: l.business_key,
  withdrawalKey: l.withdrawal_key,
  topUpId: l.top_up_id,
  refundCents: l.refund_cents,
  feeCents: l.fee_cents,
  status: l.status,
  stripeRefundId: l.stripe_refund_id,
  failureReason: l.failure_reason,
  requestedAt: iso(l.requested_at),
  settledAt: isoOrNull(l.settled_at),
});
