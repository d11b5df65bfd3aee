import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { invalid } from '../errors';
import type { PlatformName } from './statuses';
import { walletTimeZone } from './wallets';

/**
 * What the ad platforms billed the wallet over a window, by platform, by project and by the org's local
 * day: the Wallet page's spend charts (GET /v1/wallet/spend-summary). Read from the platform bills
 * (wallet_debits) that occurred in [from, to); each bill's spend and the platform fee taken on it, in
 * integer cents, so every breakdown adds up to the same totals. No money moves here.
 */
export const SPEND_WINDOW_DEFAULT_DAYS = 30;
/** A year and a day: enough for a yearly view, and byDay stays a few hundred entries. */
export const SPEND_WINDOW_MAX_DAYS = 366;

const DAY_MS = 86_400_000;

export interface SpendSummary {
  from: string;
  to: string;
  timeZone: string;
  totals: { spendCents: number; feeCents: number };
  /** Every platform with bills in the window, most spend first. */
  byPlatform: { platform: PlatformName; spendCents: number; feeCents: number }[];
  /** Every project with bills in the window, most spend first. */
  byProject: { projectId: string; projectName: string; spendCents: number; feeCents: number }[];
  /** Every local day the window touches, in order, with 0 for a day without bills. */
  byDay: { date: string; spendCents: number; feeCents: number }[];
}

/** The window asked for, defaulting to the 30 days before `now`; refused (400) when empty or too long. */
export function spendWindow(
  now: Date,
  from: Date | undefined,
  to: Date | undefined,
): { from: Date; to: Date } {
  const end = to ?? now;
  const start = from ?? new Date(end.getTime() - SPEND_WINDOW_DEFAULT_DAYS * DAY_MS);
  if (start.getTime() >= end.getTime()) throw invalid('query.to', 'must be after from');
  if (end.getTime() - start.getTime() > SPEND_WINDOW_MAX_DAYS * DAY_MS) {
    throw invalid('query.to', `must be at most ${SPEND_WINDOW_MAX_DAYS} days after from`);
  }
  return { from: start, to: end };
}

interface Row {
  day: string;
  platform: PlatformName;
  project_id: string;
  name: string;
  spend: number;
  fee: number;
}

/** 409 WALLET_NOT_AVAILABLE for a BYO org, as every wallet route. */
export function spendSummary(db: Db, orgId: string, window: { from: Date; to: Date }): Promise<SpendSummary> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const tz = await walletTimeZone(trx, orgId);
      const { from, to } = window;
      const { rows } = await sql<Row>`
        SELECT (d.occurred_at AT TIME ZONE ${tz})::date AS day, d.platform, d.project_id, p.name,
               sum(d.spend_cents)::bigint AS spend, sum(d.fee_cents)::bigint AS fee
          FROM wallet_debits d JOIN projects p ON p.id = d.project_id
         WHERE d.org_id = ${orgId} AND d.occurred_at >= ${from} AND d.occurred_at < ${to}
         GROUP BY 1, 2, 3, 4`.execute(trx);
      const { rows: days } = await sql<{ day: string }>`
        SELECT d::date::text AS day
          FROM generate_series((${from}::timestamptz AT TIME ZONE ${tz})::date,
                               ((${to}::timestamptz - interval '1 microsecond') AT TIME ZONE ${tz})::date,
                               interval '1 day') AS d`.execute(trx);

      const byDay = new Map(days.map((d) => [d.day, { date: d.day, spendCents: 0, feeCents: 0 }]));
      const byPlatform = new Map<PlatformName, SpendSummary['byPlatform'][number]>();
      const byProject = new Map<string, SpendSummary['byProject'][number]>();
      const totals = { spendCents: 0, feeCents: 0 };
      for (const r of rows) {
        const add = (into: { spendCents: number; feeCents: number }) => {
          into.spendCents += r.spend;
          into.feeCents += r.fee;
        };
        add(totals);
        add(byDay.get(r.day)!);
        if (!byPlatform.has(r.platform))
          byPlatform.set(r.platform, { platform: r.platform, spendCents: 0, feeCents: 0 });
        add(byPlatform.get(r.platform)!);
        if (!byProject.has(r.project_id)) {
          byProject.set(r.project_id, {
            projectId: r.project_id,
            projectName: r.name,
            spendCents: 0,
            feeCents: 0,
          });
        }
        add(byProject.get(r.project_id)!);
      }
      const bySpend =
        <T extends { spendCents: number }>(key: (x: T) => string) =>
        (a: T, b: T) =>
          b.spendCents - a.spendCents || (key(a) < key(b) ? -1 : 1);
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        timeZone: tz,
        totals,
        byPlatform: [...byPlatform.values()].sort(bySpend((x) => x.platform)),
        byProject: [...byProject.values()].sort(bySpend((x) => x.projectId)),
        byDay: [...byDay.values()],
      };
    });
}
