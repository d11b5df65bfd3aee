import { TIER_PRICES } from './prices';
import type { TierId } from './tiers';

/**
 * The overage charge for a closed credit period: the credits the balance could not cover, at the price
 * of the tier the period closed on (./prices.ts). A tier without overage (free) writes its shortfalls
 * off in the ledger, so overage on it is a bug, never a free pass.
 */
export interface OverageCharge {
  tier: TierId;
  credits: number;
  centsPerCredit: number;
  amountCents: number;
}

export function overageCharge(tier: TierId, overageCredits: number): OverageCharge {
  if (!Number.isSafeInteger(overageCredits) || overageCredits < 0) {
    throw new RangeError('overageCredits: must be a non-negative integer');
  }
  const price = TIER_PRICES[tier].overageCentsPerCredit;
  if (price === null && overageCredits > 0) {
    throw new RangeError(`overageCredits: the ${tier} tier has no overage, its shortfalls are written off`);
  }
  const centsPerCredit = price ?? 0;
  const amountCents = overageCredits * centsPerCredit;
  if (!Number.isSafeInteger(amountCents)) throw new RangeError('overage amount is not a safe integer');
  return { tier, credits: overageCredits, centsPerCredit, amountCents };
}
