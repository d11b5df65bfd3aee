/**
 * The wallet domain's enumerations, spelled once; migration 0007's CHECKs hold the same lists in the same
 * order (test/db/status-checks.test.ts compares them).
 */

/**
 * The ad platforms whose bills the wallet pays. To add one: append its name here and ship a migration that
 * replaces the CHECK on wallet_debits.platform with the longer list (the status-checks test fails until
 * both agree). Nothing else names the platforms: validation, keys and attribution read this tuple.
 */
export const AD_PLATFORMS = ['meta', 'tiktok', 'google'] as const;
export type PlatformName = (typeof AD_PLATFORMS)[number];

/** Card is instant; ACH settles in 1–3 business days; wire is credited by finance once it has arrived. */
export const TOP_UP_METHODS = ['card', 'ach', 'wire'] as const;
export type TopUpMethod = (typeof TOP_UP_METHODS)[number];

export const TOP_UP_TRIGGERS = ['auto', 'manual'] as const;
export type TopUpTrigger = (typeof TOP_UP_TRIGGERS)[number];

export const TOP_UP_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type TopUpStatus = (typeof TOP_UP_STATUSES)[number];

export const WITHDRAWAL_LEG_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WithdrawalLegStatus = (typeof WITHDRAWAL_LEG_STATUSES)[number];

/** Why the system (not the org) switched auto-top-up off: three declines in a row. */
export const AUTO_TOP_UP_DISABLED_REASONS = ['declines'] as const;
export type AutoTopUpDisabledReason = (typeof AUTO_TOP_UP_DISABLED_REASONS)[number];

/**
 * The kinds of wallet ledger rows and the balance columns each moves:
 * - `spend`, `fee`: the two linked legs of one platform bill (balance down);
 * - `top_up_started`: a card charge or ACH debit was started (pending up);
 * - `top_up_succeeded`: it settled (pending down, balance up); `top_up_failed`: it did not (pending down);
 * - `wire_credit`: finance credits a wire that has arrived (balance up);
 * - `withdrawal`: a refund leg debits the wallet before Stripe is asked; `withdrawal_reversed` credits it
 *   back when the refund fails.
 */
export const WALLET_ENTRY_TYPES = [
  'spend',
  'fee',
  'top_up_started',
  'top_up_succeeded',
  'top_up_failed',
  'wire_credit',
  'withdrawal',
  'withdrawal_reversed',
] as const;
export type WalletEntryType = (typeof WALLET_ENTRY_TYPES)[number];

/** What the wallet asks the ad platforms to do with an org's agency campaigns, and why (migration 0008). */
export const AD_ACTIONS = ['pause', 'resume'] as const;
export type AdAction = (typeof AD_ACTIONS)[number];
export const AD_ACTION_REASONS = ['below_floor', 'funded'] as const;
export type AdActionReason = (typeof AD_ACTION_REASONS)[number];
