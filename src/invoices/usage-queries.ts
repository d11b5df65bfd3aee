import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { invalid, notFound } from '../errors';
import { METRIC_AGGREGATION, USAGE_METRICS, type UsageMetric } from './usage-metrics';
import { usageLines, type UsageAllowance, type UsageLine } from './usage-rules';

/**
 * Usage's reads: a period's usage per metric, a tier's allowances, and the two together as the lines an
 * invoice bills. Every query is scoped by the org, so another org's events are simply not counted.
 */

/** The tier's allowance of every metric (the usage_allowances rows the catalog wrote). */
export async function usageAllowancesOf(
  db: Db,
  tierId: string,
): Promise<Record<UsageMetric, UsageAllowance>> {
  const rows = await db.selectFrom('usage_allowances').selectAll().where('tier_id', '=', tierId).execute();
  const byMetric = new Map(rows.map((r) => [r.metric, r]));
  return Object.fromEntries(
    USAGE_METRICS.map((metric) => {
      const r = byMetric.get(metric);
      // Every tier the catalog knows has every metric (it does not compile otherwise), so this is a tier
      // outside the catalog: billing it nothing would be a silent loss, so say which row is missing.
      if (!r) throw new Error(`usage_allowances has no row for tier ${tierId} and metric ${metric}`);
      const allowance: UsageAllowance = {
        metric,
        included: r.included,
        unitSize: r.unit_size,
        unitCents: r.unit_cents,
      };
      return [metric, allowance];
    }),
  ) as Record<UsageMetric, UsageAllowance>;
}

/**
 * What the org used of each metric in [start, end) by occurredAt (METRIC_AGGREGATION): counters are the
 * sum of the period's events; the gauge is its peak, the level in force at `start` (the last report
 * before it, the highest of those at that instant) included, so storage held all period but reported
 * before it still counts. One statement: every figure from the same snapshot.
 */
export async function usedInPeriod(
  db: Db,
  orgId: string,
  start: Date,
  end: Date,
): Promise<Record<UsageMetric, number>> {
  const { rows } = await sql<{ metric: UsageMetric; total: number; peak: number | null }>`
    SELECT m.metric,
           coalesce((SELECT sum(u.quantity) FROM usage_events u
                      WHERE u.org_id = ${orgId} AND u.metric = m.metric
                        AND u.occurred_at >= ${start} AND u.occurred_at < ${end}), 0)::bigint AS total,
           greatest(
             (SELECT max(u.quantity) FROM usage_events u
               WHERE u.org_id = ${orgId} AND u.metric = m.metric
                 AND u.occurred_at >= ${start} AND u.occurred_at < ${end}),
             (SELECT u.quantity FROM usage_events u
               WHERE u.org_id = ${orgId} AND u.metric = m.metric AND u.occurred_at < ${start}
               ORDER BY u.occurred_at DESC, u.quantity DESC LIMIT 1)
           ) AS peak
      FROM unnest(${[...USAGE_METRICS]}::text[]) AS m(metric)
  `.execute(db);
  const used = Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as Record<UsageMetric, number>;
  for (const r of rows) {
    used[r.metric] = METRIC_AGGREGATION[r.metric] === 'peak' ? (r.peak ?? 0) : r.total;
  }
  return used;
}

/**
 * The usage lines of one org's period on a tier, for the invoice built at the period's close: per metric
 * {metric, used, allowance, overQuantity, unitCents, amountCents} (and the aggregation and unitSize that
 * explain them), in USAGE_METRICS order. Usage counts in the period its occurredAt falls in, as far as
 * it has been recorded when this runs: events may arrive up to USAGE_MAX_AGE_DAYS late
 * (src/invoices/usage-rules.ts), and those that arrive after their period's invoice was built are kept
 * but on no invoice.
 */
export async function usageOverAllowance(
  db: Db,
  orgId: string,
  tierId: string,
  periodStart: Date,
  periodEnd: Date,
): Promise<UsageLine[]> {
  if (!(periodStart < periodEnd)) throw new RangeError('periodStart must be before periodEnd');
  const [allowances, used] = await Promise.all([
    usageAllowancesOf(db, tierId),
    usedInPeriod(db, orgId, periodStart, periodEnd),
  ]);
  return usageLines(used, allowances);
}

export interface UsageSummary {
  organizationId: string;
  tier: string;
  periodStart: string;
  periodEnd: string;
  lines: UsageLine[];
  /** What the lines would bill if the period closed now. */
  totalCents: number;
}

/**
 * The org's usage against its tier's allowances, for GET /v1/usage and `layers-billing usage show`: in
 * its current credit period, or in [from, to) when both are given (either alone is the current period's
 * other end).
 */
export async function usageSummary(
  db: Db,
  orgId: string,
  range: { from?: Date; to?: Date } = {},
): Promise<UsageSummary> {
  const org = await db
    .selectFrom('organizations as o')
    .innerJoin('credit_balances as b', 'b.org_id', 'o.id')
    .select(['o.tier_id', 'b.period_start', 'b.period_end'])
    .where('o.id', '=', orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  const start = range.from ?? org.period_start;
  const end = range.to ?? org.period_end;
  if (!(start < end)) throw invalid(range.to ? 'to' : 'from', 'the period must end after it starts');
  const lines = await usageOverAllowance(db, orgId, org.tier_id, start, end);
  return {
    organizationId: orgId,
    tier: org.tier_id,
    periodStart: start.toISOString(),
    periodEnd: end.toISOString(),
    lines,
    totalCents: lines.reduce((sum, l) => sum + l.amountCents, 0),
  };
}
