import type { AutoTopUpDisabledReason } from './statuses';

/**
 * The auto-top-up decision (guarantee 6), as data: the wallet workflow computes it, one activity carries
 * it out through wallet_claim_auto_top_up, which re-checks the cap and the switch under the wallet's row
 * lock. So the hard guarantee lives in the database and this rule decides only whether and how much:
 * a wrong decision can waste a charge, never exceed the cap.
 *
 * Each rule answers one of the runaway charges other vendors shipped:
 * - pending funds count toward the threshold, and no auto charge starts while one is in flight (no
 *   charge per increment, no duplicate threshold jobs);
 * - a decline backs off (DECLINE_BACKOFF_MS) and BREAKER_DECLINES in a row switch auto-top-up off
 *   (the settle function trips it in the same transaction as the third decline) until a card is updated
 *   or a manual card top-up succeeds (no card retried for days);
 * - disabled means nothing is started (the claim checks the switch again under the lock);
 * - the day's charges never pass the cap: the last one is cut to what the cap leaves, and none starts
 *   below the minimum charge.
 * Auto top-ups are card-only (the claim cannot start anything else): ACH would hold the cap for days.
 */

/**
 * The smallest top-up, auto or manual: $10. Above Stripe's 50¢ minimum charge, and large enough that
 * the card processor's fixed 30¢ is at most 3% of it.
 */
export const MINIMUM_TOP_UP_CENTS = 1_000;

/** How long after a declined auto top-up the next may start. */
export const DECLINE_BACKOFF_MS = 60 * 60 * 1000;

/** Declines in a row that switch auto-top-up off. */
export const BREAKER_DECLINES = 3;

export interface AutoTopUpSettings {
  enabled: boolean;
  /** Top up when settled balance + pending falls below this. */
  thresholdCents: number;
  amountCents: number;
  /** The most auto top-ups may start in one local day of the org, pending and succeeded together. */
  dailyCapCents: number;
}

export interface AutoTopUpState {
  settings: AutoTopUpSettings;
  /** The breaker: set by the third decline in a row, cleared by a card update or a manual card top-up. */
  disabledReason: AutoTopUpDisabledReason | null;
  consecutiveDeclines: number;
  lastDeclineAt: Date | null;
  /** Settled balance. */
  balanceCents: number;
  /** Every top-up started and not settled (card in flight, ACH in its business days). */
  pendingCents: number;
  /** An auto top-up is pending right now. */
  autoTopUpInFlight: boolean;
  /** Auto top-ups started on the org's local day of `at`, pending and succeeded (failed ones charged nothing). */
  usedTodayCents: number;
  /** Business time of the decision (the workflow clock). */
  at: Date;
}

export interface AutoTopUpOptions {
  minimumCents?: number;
  backoffMs?: number;
  breakerDeclines?: number;
}

export type NoTopUpReason =
  'disabled' | 'breaker' | 'in_flight' | 'above_threshold' | 'backoff' | 'cap_reached';

export type AutoTopUpPlan =
  | {
      action: 'charge';
      amountCents: number;
      /** After this charge the day's cap leaves less than the minimum: notify once (per local day). */
      capReached: boolean;
    }
  | {
      action: 'none';
      reason: NoTopUpReason;
      /** The day's cap leaves less than the minimum charge. */
      capReached: boolean;
      /** For 'backoff': when the next attempt may start. */
      retryAt?: Date;
    };

export function planAutoTopUp(state: AutoTopUpState, options: AutoTopUpOptions = {}): AutoTopUpPlan {
  const minimum = options.minimumCents ?? MINIMUM_TOP_UP_CENTS;
  const backoffMs = options.backoffMs ?? DECLINE_BACKOFF_MS;
  const breakerDeclines = options.breakerDeclines ?? BREAKER_DECLINES;
  const { settings } = state;
  const remaining = Math.max(0, settings.dailyCapCents - state.usedTodayCents);
  const none = (reason: NoTopUpReason, retryAt?: Date): AutoTopUpPlan => ({
    action: 'none',
    reason,
    capReached: remaining < minimum,
    ...(retryAt ? { retryAt } : {}),
  });

  if (!settings.enabled) return none('disabled');
  if (state.disabledReason !== null || state.consecutiveDeclines >= breakerDeclines) return none('breaker');
  if (state.autoTopUpInFlight) return none('in_flight');
  if (state.balanceCents + state.pendingCents >= settings.thresholdCents) return none('above_threshold');
  if (state.consecutiveDeclines > 0 && state.lastDeclineAt) {
    const retryAt = new Date(state.lastDeclineAt.getTime() + backoffMs);
    if (state.at < retryAt) return none('backoff', retryAt);
  }
  const amount = Math.min(settings.amountCents, remaining);
  if (amount < minimum) return none('cap_reached');
  return { action: 'charge', amountCents: amount, capReached: remaining - amount < minimum };
}
