/**
 * A credit-pack purchase's statuses, spelled once; migration 0003's CHECK holds the same list
 * (test/db/status-checks.test.ts compares them).
 */
export const PURCHASE_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number];
