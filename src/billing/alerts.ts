import { requireCredits } from '../credits/amounts';

/**
 * Credit alerts (seed 003: "automated credit alerts for producers"): an org sets a threshold, and one
 * notification goes out when a debit first leaves `available` below it in a credit period: at most once
 * until the next period, however many debits follow. A threshold set while `available` is already below
 * it fires at the next debit, so the producer who just set it hears about it. Applied by
 * src/billing/credit-alerts.ts in the statement that records the firing.
 */
export interface CreditAlertInput {
  /** null: no alert set. */
  threshold: number | null;
  /** What is available after the debit. */
  available: number;
  firedThisPeriod: boolean;
}

export function shouldFireCreditAlert(i: CreditAlertInput): boolean {
  if (i.threshold === null || i.firedThisPeriod) return false;
  return i.available < i.threshold;
}

/**
 * The threshold as PUT /v1/credits/alerts accepts it: a whole number of credits, at least 1 (nothing is
 * ever below 0), or null to switch alerts off.
 */
export function requireAlertThreshold(value: unknown): number | null {
  if (value === null) return null;
  return requireCredits('threshold', value);
}
