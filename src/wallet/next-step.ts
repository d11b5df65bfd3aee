import { planAutoTopUp, type AutoTopUpSettings } from './auto-top-up';
import type { LocalDay } from './days';
import { planFloor } from './floor';
import type {
  AdAction,
  AdActionReason,
  AutoTopUpDisabledReason,
  TopUpMethod,
  TopUpTrigger,
} from './statuses';

/**
 * What the wallet workflow does next, decided from one read of the wallet (a WalletReview) at business
 * time `at`. The workflow loops: read, take the step, read again, until the step is to wait. Every step
 * changes what the next read shows (a charged top-up is no longer waiting to be charged, a pause sets
 * ads_paused), so the loop ends; the database functions behind each step re-check under the wallet's
 * lock, so a decision taken on a read that is already stale can waste a step, never money.
 *
 * The order is the order of urgency: money already decided (top-ups and refunds the org asked for, an
 * auto top-up already claimed) goes to Stripe first; then the floor, because spend below it is spend the
 * wallet may not cover; then auto-top-up; then the one notification of a day whose cap is spent.
 */

/** One read of the wallet, as the review activity returns it (JSON: times as ISO strings). */
export interface WalletReview {
  balanceCents: number;
  pendingCents: number;
  floorCents: number;
  adsPaused: boolean;
  autoTopUp: AutoTopUpSettings;
  disabledReason: AutoTopUpDisabledReason | null;
  consecutiveDeclines: number;
  lastDeclineAt: string | null;
  /** The org's local day of the review's `at`, and when the next one starts. */
  today: LocalDay;
  nextDayStartsAt: string;
  /** Auto top-ups started today, pending and succeeded. */
  usedTodayCents: number;
  /** An auto top-up is pending (whatever its day). */
  autoTopUpInFlight: boolean;
  /** Pending top-ups not yet sent to Stripe: no PaymentIntent recorded. */
  toCharge: Array<{ key: string; method: TopUpMethod; trigger: TopUpTrigger }>;
  /** Pending top-ups Stripe is processing (ACH): settled by a webhook or the periodic check. */
  awaitingStripe: string[];
  /** Withdrawal legs debited and not yet refunded. */
  legsToRefund: string[];
}

export type WalletStep =
  | { kind: 'charge_top_up'; key: string }
  | { kind: 'refund_leg'; key: string }
  | { kind: 'check_in_flight' }
  | { kind: 'ads'; action: AdAction; reason: AdActionReason }
  | { kind: 'auto_top_up'; amountCents: number; localDay: LocalDay }
  | { kind: 'notify_cap_reached'; localDay: LocalDay }
  | { kind: 'wait'; until: Date | null };

export interface StepContext {
  /** Business time now. */
  at: Date;
  /** A Stripe event arrived or a periodic check is due: look at what Stripe is processing. */
  checkInFlight: boolean;
  /** The local day whose "cap reached" notification was already sent. */
  capNotifiedDay: string | null;
}

/** How often pending ACH is looked up at Stripe without a webhook: a lost event delays, never strands. */
export const IN_FLIGHT_CHECK_MS = 60 * 60 * 1000;

export function nextWalletStep(review: WalletReview, ctx: StepContext): WalletStep {
  const first = review.toCharge[0];
  if (first) return { kind: 'charge_top_up', key: first.key };
  const leg = review.legsToRefund[0];
  if (leg) return { kind: 'refund_leg', key: leg };
  if (ctx.checkInFlight && review.awaitingStripe.length > 0) return { kind: 'check_in_flight' };

  const floor = planFloor(review);
  if (floor.action !== 'none') return { kind: 'ads', action: floor.action, reason: floor.reason };

  const plan = planAutoTopUp({
    settings: review.autoTopUp,
    disabledReason: review.disabledReason,
    consecutiveDeclines: review.consecutiveDeclines,
    lastDeclineAt: review.lastDeclineAt === null ? null : new Date(review.lastDeclineAt),
    balanceCents: review.balanceCents,
    pendingCents: review.pendingCents,
    autoTopUpInFlight: review.autoTopUpInFlight,
    usedTodayCents: review.usedTodayCents,
    at: ctx.at,
  });
  if (plan.action === 'charge') {
    return { kind: 'auto_top_up', amountCents: plan.amountCents, localDay: review.today };
  }
  const wanted = plan.reason === 'cap_reached';
  if (wanted && ctx.capNotifiedDay !== review.today) {
    return { kind: 'notify_cap_reached', localDay: review.today };
  }

  const wakes: Date[] = [];
  if (plan.reason === 'backoff' && plan.retryAt) wakes.push(plan.retryAt);
  // Still below the threshold with the day's cap spent: the next local day has a cap of its own.
  if (wanted) wakes.push(new Date(review.nextDayStartsAt));
  if (review.awaitingStripe.length > 0) wakes.push(new Date(ctx.at.getTime() + IN_FLIGHT_CHECK_MS));
  const until = wakes.length === 0 ? null : new Date(Math.min(...wakes.map((d) => d.getTime())));
  return { kind: 'wait', until };
}
