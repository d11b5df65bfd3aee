import { requireCredits } from '../credits/amounts';

/**
 * Credit alerts (seed 003: "automated credit alerts for producers"): an org sets a threshold, and one
 * notification goes out when `available` first drops below it in a period: on the crossing, not on
 * every debit below it, and at most once until the next period.
 */
export interface CreditAlertInput {
  /** null: no alert set. */
  threshold: number | null;
  previousAvailable: number;
  newAvailable: number;
  firedThisPeriod: boolean;
}

export function shouldFireCreditAlert(i: CreditAlertInput): boolean {
  if (i.threshold === null || i.firedThisPeriod) return false;
  return i.previousAvailable >= i.threshold && i.newAvailable < i.threshold;
}

/**
 * The threshold as PUT /v1/credits/alerts accepts it: a whole number of credits, at least 1 (nothing is
 * ever below 0), or null to switch alerts off.
 */
export function requireAlertThreshold(value: unknown): number | null {
  if (value === null) return null;
  return requireCredits('threshold', value);
}
