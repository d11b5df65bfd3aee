import { INVOICE_COLLECTION_PREFIX } from '../invoices/ids';

/**
 * Every name the billing domain derives, built only here: the workflow id, and the business keys of the
 * money it moves (Stripe idempotency/metadata and the billing_charges record). Keys are built from
 * business times, never run ids, so a retried activity or a continued-as-new run finds the same key.
 */

export const billingWorkflowId = (orgId: string): string => `org-billing:${orgId}`;

/** The prefixes of every key the billing domain writes into Stripe metadata (its webhook owner's), an
 * invoice's collection included: the billing workflow charges and duns it. */
export const BILLING_KEY_PREFIXES = [
  'renewal:',
  'overage:',
  'plan-change:',
  INVOICE_COLLECTION_PREFIX,
] as const;

const iso = (at: Date): string => at.toISOString();

/** The renewal of the period starting at `periodStart`: one charge, whatever the retries. */
export const renewalKey = (orgId: string, periodStart: Date): string =>
  `renewal:${orgId}:${iso(periodStart)}`;

/** The overage of the credit period starting at `creditPeriodStart`. */
export const overageKey = (orgId: string, creditPeriodStart: Date): string =>
  `overage:${orgId}:${iso(creditPeriodStart)}`;

/** A plan change applied now (its proration charge or refund), named by when it was applied. */
export const changeKey = (orgId: string, at: Date): string => `plan-change:${orgId}:${iso(at)}`;

/**
 * A declined PaymentIntent stays declined, so each payment attempt of one charge is its own Stripe
 * object: attempt 1 uses the charge's key, later attempts add their number. The charge record keeps the
 * charge's key, so the charge itself still happens at most once.
 */
export const attemptKey = (chargeKey: string, attempt: number): string =>
  attempt <= 1 ? chargeKey : `${chargeKey}#${attempt}`;

export const chargeKeyOfAttempt = (stripeKey: string): string => stripeKey.replace(/#\d+$/, '');

/** The outbox key of a credit alert: one per org and credit period. */
export const creditAlertKey = (orgId: string, creditPeriodStart: Date): string =>
  `credit-alert:${orgId}:${iso(creditPeriodStart)}`;
