/**
 * The kinds of credit ledger entries, spelled once; the CHECK on credit_ledger.entry_type (migration 0005,
 * which extended migration 0001's list) holds the same list in the same order (test/db/status-checks.test.ts
 * compares them).
 *
 * - `expire` is a generation's hold ended by its timer; credits that leave the balance because their time
 *   came are `expire_rollover` (rolled-over grants between closes), `expire_pending` (credits that expired
 *   while held, once the hold ends without using them) or part of `period_close`, `allowance_change`
 *   (a downgrade now) and `revoke_included` (pause or cancel).
 */
export const LEDGER_ENTRY_TYPES = [
  'grant_included',
  'grant_prepaid',
  'reserve',
  'capture',
  'release',
  'expire',
  'period_close',
  'expire_rollover',
  'expire_pending',
  'allowance_change',
  'revoke_included',
] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
