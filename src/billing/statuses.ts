/**
 * The billing domain's enumerations, spelled once; migration 0006's CHECKs hold the same lists
 * (test/db/status-checks.test.ts compares them). An org's subscription status is organizations.billing_status
 * (src/orgs/statuses.ts), which the credit snapshot already reports.
 */
export { INTERVALS as BILLING_INTERVALS, type Interval as BillingInterval } from './subscription';

/** What a subscription charge was for: the simulator's and the invoice's `kind`. */
export const CHARGE_KINDS = ['renewal', 'overage', 'upgrade', 'refund', 'invoice'] as const;
export type ChargeKind = (typeof CHARGE_KINDS)[number];

export const CHARGE_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** What a subscription change came to: the outcome of the workflow's Update, as the API answers it. */
export const CHANGE_OUTCOMES = [
  'applied_now',
  'scheduled',
  'unscheduled',
  'cancel_at_period_end',
  'canceled',
  'cancel_undone',
  'paused',
  'unpaused',
  'resubscribed',
] as const;
export type ChangeOutcome = (typeof CHANGE_OUTCOMES)[number];
