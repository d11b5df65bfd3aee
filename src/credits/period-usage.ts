import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { notFound } from '../errors';

/**
 * What the current credit period's generations were charged, per day and per project: the Billing page's
 * usage charts (GET /v1/credits/usage). Read from the credit ledger's captures since the org's last
 * period close (by ledger id, as the period's invoice takes them), each counted at its full actual cost
 * (usedDelta: whatever paid for it, overage included), so the totals equal GET /v1/credits'
 * usedThisPeriod. No money moves here.
 *
 * Days are the org's local days: its wallet's time zone when it has one (the zone its invoices are dated
 * in), else UTC.
 */
export interface CreditUsage {
  periodStart: string;
  periodEnd: string;
  timeZone: string;
  totalCredits: number;
  /**
   * Every local day from the period's first to today's (or the period's last, once it is over), in
   * order, with 0 for a day without captures.
   */
  byDay: { date: string; credits: number }[];
  /** Projects with captures in the period, most credits first. */
  byProject: { projectId: string; projectName: string; credits: number }[];
}

export function creditUsageThisPeriod(db: Db, orgId: string, now: Date): Promise<CreditUsage> {
  // One snapshot: the period, its captures and the days agree with each other.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const period = await trx
        .selectFrom('credit_balances as b')
        .leftJoin('wallets as w', 'w.org_id', 'b.org_id')
        .select(['b.period_start', 'b.period_end', sql<string>`coalesce(w.time_zone, 'UTC')`.as('time_zone')])
        .where('b.org_id', '=', orgId)
        .executeTakeFirst();
      if (!period) throw notFound('organization', orgId);
      const tz = period.time_zone;
      const lastClose = await trx
        .selectFrom('credit_ledger')
        .select((eb) => eb.fn.max<number | null>('id').as('id'))
        .where('org_id', '=', orgId)
        .where('entry_type', '=', 'period_close')
        .executeTakeFirst();
      const { rows } = await sql<{ day: string; project_id: string; name: string; credits: number }>`
        SELECT (l.created_at AT TIME ZONE ${tz})::date AS day, l.project_id, p.name,
               sum(l.used_delta)::bigint AS credits
          FROM credit_ledger l JOIN projects p ON p.id = l.project_id
         WHERE l.org_id = ${orgId} AND l.entry_type = 'capture' AND l.id > ${lastClose?.id ?? 0}
         GROUP BY 1, 2, 3`.execute(trx);
      // The period's days so far, as the database's copy of the zone database counts them.
      const lastInstant = new Date(Math.min(now.getTime(), period.period_end.getTime() - 1));
      const { rows: days } = await sql<{ day: string }>`
        SELECT d::date::text AS day
          FROM generate_series((${period.period_start}::timestamptz AT TIME ZONE ${tz})::date,
                               (${lastInstant}::timestamptz AT TIME ZONE ${tz})::date,
                               interval '1 day') AS d`.execute(trx);

      const byDay = new Map<string, number>(days.map((d) => [d.day, 0]));
      const byProject = new Map<string, { projectId: string; projectName: string; credits: number }>();
      for (const r of rows) {
        byDay.set(r.day, (byDay.get(r.day) ?? 0) + r.credits);
        const project = byProject.get(r.project_id) ?? {
          projectId: r.project_id,
          projectName: r.name,
          credits: 0,
        };
        project.credits += r.credits;
        byProject.set(r.project_id, project);
      }
      return {
        periodStart: period.period_start.toISOString(),
        periodEnd: period.period_end.toISOString(),
        timeZone: tz,
        totalCredits: rows.reduce((sum, r) => sum + r.credits, 0),
        // A capture recorded outside the period's days (a clock pinned by a test) still shows, so that
        // the days always add up to the total.
        byDay: [...byDay]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([date, credits]) => ({ date, credits })),
        byProject: [...byProject.values()].sort(
          (a, b) => b.credits - a.credits || (a.projectId < b.projectId ? -1 : 1),
        ),
      };
    });
}
