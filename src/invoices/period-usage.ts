import type { Db } from '../db/pool';
import type { UsageLeg } from './assemble';
import type { PeriodLegs } from './legs';
import { usageOverAllowance } from './usage-queries';

/**
 * The period's usage over allowance as invoice legs, priced in whole billable units: a metric billed per
 * `unitSize` (say, per 1,000 SDK events) is invoiced as that many units at its unit price, so that
 * quantity × unit price is the amount, as on every priced line.
 */
export async function periodUsage(db: Db, legs: PeriodLegs): Promise<UsageLeg[]> {
  const lines = await usageOverAllowance(db, legs.org.id, legs.tier, legs.start, legs.end);
  return lines
    .filter((u) => u.unitCents !== null && u.amountCents > 0)
    .map((u) => ({
      metric: u.metric,
      overQuantity: u.amountCents / u.unitCents!,
      unitCents: u.unitCents!,
      amountCents: u.amountCents,
    }));
}
