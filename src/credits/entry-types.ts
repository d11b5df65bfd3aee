/**
 * The kinds of credit ledger entries, spelled once; migration 0001's CHECK holds the same list
 * (test/db/status-checks.test.ts compares them).
 */
export const LEDGER_ENTRY_TYPES = [
  'grant_included',
  'grant_prepaid',
  'reserve',
  'capture',
  'release',
  'expire',
] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
