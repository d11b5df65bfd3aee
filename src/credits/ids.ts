/**
 * The ledger's idempotency keys, built only here and passed to the ledger functions
 * (src/db/functions/credits_*.sql), which never build a key themselves. Changing a byte here orphans
 * every existing ledger row and recorded history keyed by the old form: test/credits/ids.test.ts pins
 * them.
 */

/** The reserve row: one per generation. */
export const reserveKey = (generationId: string): string => `reservation:${generationId}:reserve`;

/**
 * The settlement row, whichever way the hold ends (capture, release or expire): one key for all three, so
 * a generation can settle only once.
 */
export const settleKey = (generationId: string): string => `reservation:${generationId}:settle`;

/**
 * The 'expire_pending' row a settlement writes when credits that expired while this generation held them
 * are left unused: at most one per generation, since it settles once.
 */
export const pendingExpiryKey = (generationId: string): string =>
  `reservation:${generationId}:expire-pending`;

/** The close of the credit period that started at `periodStart`: one per org and period. */
export const periodCloseKey = (orgId: string, periodStart: Date): string =>
  `period-close:${orgId}:${periodStart.toISOString()}`;

/** The expiry of the rolled-over grants due at `at`, between two closes. */
export const rolloverExpiryKey = (orgId: string, at: Date): string =>
  `rollover-expiry:${orgId}:${at.toISOString()}`;

/**
 * A change of this period's allowance (an upgrade, a downgrade now), named by the caller's id of the
 * change (the subscription change it applies), not by its time: two changes may share a workflow time.
 */
export const allowanceChangeKey = (orgId: string, changeId: string): string =>
  `allowance:${orgId}:${changeId}`;

/** The revocation of every included credit when a subscription pauses or ends, named like a change. */
export const includedRevokeKey = (orgId: string, changeId: string): string =>
  `included-revoke:${orgId}:${changeId}`;
