import type { Db } from '../db/pool';
import type { UsageLeg } from './assemble';
import type { PeriodLegs } from './legs';
import { formatCount, formatUsd } from './money';
import type { UsageMetric } from './usage-metrics';
import { usageOverAllowance } from './usage-queries';

const METRIC_NAMES: Readonly<Record<UsageMetric, string>> = {
  workflow_runs: 'workflow runs',
  sdk_events: 'SDK events',
  media_storage_gb: 'GB of media storage (the period’s peak)',
};

/**
 * The period's billable usage over allowance as invoice legs. Usage is priced pro rata per `unitSize`
 * (say, 8 ¢ per 1,000 SDK events, rounded once to the cent), so no whole unit price multiplies out to
 * the amount: the line carries the quantity over the allowance and says the rate in words.
 */
export async function periodUsage(db: Db, legs: PeriodLegs): Promise<UsageLeg[]> {
  const lines = await usageOverAllowance(db, legs.org.id, legs.tier, legs.start, legs.end);
  return lines
    .filter((u) => u.unitCents !== null && u.amountCents > 0)
    .map((u) => {
      const per = u.unitSize === 1 ? '' : ` ${formatCount(u.unitSize)}`;
      return {
        metric: u.metric,
        overQuantity: u.overQuantity,
        description:
          `${formatCount(u.overQuantity)} ${METRIC_NAMES[u.metric]} over the allowance of ` +
          `${formatCount(u.allowance)}, at ${formatUsd(u.unitCents!)} per${per || ' unit'}`,
        amountCents: u.amountCents,
      };
    });
}
