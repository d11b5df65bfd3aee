/**
 * How an organization is billed, spelled once; migration 0001's CHECKs hold the same lists
 * (test/db/status-checks.test.ts compares them).
 */
export const BILLING_MODES = ['agency', 'byo'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];

export const BILLING_STATUSES = ['active', 'past_due', 'paused', 'canceled'] as const;
export type BillingStatus = (typeof BILLING_STATUSES)[number];
