/**
 * The ledger's idempotency keys for a generation's credits, built only here and passed to the ledger
 * functions (src/db/functions/credits_*.sql), which never build a key themselves. Changing a byte here
 * orphans every existing ledger row and recorded history keyed by the old form: test/credits/ids.test.ts
 * pins them to what the first migration's SQL produced.
 */

/** The reserve row: one per generation. */
export const reserveKey = (generationId: string): string => `reservation:${generationId}:reserve`;

/**
 * The settlement row, whichever way the hold ends (capture, release or expire): one key for all three, so
 * a generation can settle only once.
 */
export const settleKey = (generationId: string): string => `reservation:${generationId}:settle`;
