import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/pool';
import { toTopUp, toWithdrawalLeg, type TopUp, type WithdrawalLegRecord } from './records';
import type { PlatformName, WalletEntryType } from './statuses';

/**
 * The wallet's reads for the API, the CLI and (later) the dashboard. No money moves here; every query is
 * scoped by the org, so another org's rows are simply not found.
 */

export async function getTopUpByKey(db: Db, orgId: string, key: string): Promise<TopUp | undefined> {
  const row = await db
    .selectFrom('wallet_top_ups')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('business_key', '=', key)
    .executeTakeFirst();
  return row && toTopUp(row);
}

/** Top-ups started and not settled yet (card in flight, ACH in its business days), oldest first. */
export async function pendingTopUps(db: Db, orgId: string): Promise<TopUp[]> {
  const rows = await db
    .selectFrom('wallet_top_ups')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('status', '=', 'pending')
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return rows.map(toTopUp);
}

/** The refund legs of one withdrawal (its withdrawalKey), in the order they were started. */
export async function withdrawalLegsOf(
  db: Db,
  orgId: string,
  withdrawalKey: string,
): Promise<WithdrawalLegRecord[]> {
  const rows = await db
    .selectFrom('wallet_withdrawal_legs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('withdrawal_key', '=', withdrawalKey)
    .orderBy('id')
    .execute();
  return rows.map(toWithdrawalLeg);
}

/**
 * Polls a top-up until it is no longer pending or `timeoutMs` has passed, and returns it as last read.
 * For a caller that wants a card charge's outcome synchronously while the wallet workflow makes the
 * charge: the workflow writes the outcome to the row, so the row is what to watch.
 */
export async function awaitTopUpSettled(
  db: Db,
  orgId: string,
  key: string,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<TopUp | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const topUp = await getTopUpByKey(db, orgId, key);
    if (!topUp || topUp.status !== 'pending' || Date.now() + intervalMs > deadline) return topUp;
    await sleep(intervalMs);
  }
}

// ---- The ledger as a statement ----

export interface WalletEntry {
  id: number;
  entryType: WalletEntryType;
  /** The row's business key: the same change is never recorded twice under it. */
  key: string;
  balanceDeltaCents: number;
  pendingDeltaCents: number;
  /** Settled balance and pending right after this row, in the order rows were recorded. */
  balanceAfterCents: number;
  pendingAfterCents: number;
  projectId: string | null;
  platform: PlatformName | null;
  externalId: string | null;
  topUpId: number | null;
  withdrawalLegId: number | null;
  /** Business time of the change (a bill's occurredAt, a top-up's start). */
  effectiveAt: string;
  /** When the row was written. */
  recordedAt: string;
  detail: Record<string, unknown> | null;
}

export interface WalletEntryFilter {
  projectId?: string;
  platform?: PlatformName;
  entryType?: WalletEntryType;
  /** effectiveAt at or after. */
  from?: Date;
  /** effectiveAt before. */
  to?: Date;
}

export interface WalletEntryPage {
  data: WalletEntry[];
  /** The id of the page's last row: pass back as `before` for the next page; null on the last page. */
  next: number | null;
}

interface EntryRow {
  id: number;
  entry_type: WalletEntryType;
  idempotency_key: string;
  balance_delta: number;
  pending_delta: number;
  balance_after: number;
  pending_after: number;
  project_id: string | null;
  platform: PlatformName | null;
  external_id: string | null;
  top_up_id: number | null;
  withdrawal_leg_id: number | null;
  effective_at: Date;
  created_at: Date;
  detail: Record<string, unknown> | null;
}

const and = (condition: RawBuilder<unknown> | false): RawBuilder<unknown> =>
  condition === false ? sql`` : sql` AND ${condition}`;

/**
 * The wallet ledger newest first, in the order rows were recorded (every wallet write holds the wallet's
 * row lock, so an org's ids rise in commit order), keyset-paginated on the id. Each row carries the
 * balance after it: the wallet's balance minus every later row's delta, over all the org's rows whatever
 * the filter, read in the same statement (one snapshot) as the page. That walks the rows from the page's
 * oldest to now, cheap for the recent pages a statement is read from.
 */
export async function listWalletEntries(
  db: Db,
  orgId: string,
  opts: { filter?: WalletEntryFilter; limit: number; before?: number },
): Promise<WalletEntryPage> {
  const f = opts.filter ?? {};
  const where = sql.join(
    [
      and(f.projectId !== undefined && sql`l.project_id = ${f.projectId}`),
      and(f.platform !== undefined && sql`l.platform = ${f.platform}`),
      and(f.entryType !== undefined && sql`l.entry_type = ${f.entryType}`),
      and(f.from !== undefined && sql`l.effective_at >= ${f.from}`),
      and(f.to !== undefined && sql`l.effective_at < ${f.to}`),
      and(opts.before !== undefined && sql`l.id < ${opts.before}`),
    ],
    sql``,
  );
  const { rows } = await sql<EntryRow>`
    WITH page AS (
      SELECT l.* FROM wallet_ledger l WHERE l.org_id = ${orgId}${where}
       ORDER BY l.id DESC LIMIT ${opts.limit + 1}
    ), later AS (
      SELECT l.id,
             coalesce(sum(l.balance_delta) OVER newer, 0) AS balance_later,
             coalesce(sum(l.pending_delta) OVER newer, 0) AS pending_later
        FROM wallet_ledger l
       WHERE l.org_id = ${orgId} AND l.id >= (SELECT min(id) FROM page)
      WINDOW newer AS (ORDER BY l.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT p.id, p.entry_type, p.idempotency_key, p.balance_delta, p.pending_delta, p.project_id, p.platform,
           p.external_id, p.top_up_id, p.withdrawal_leg_id, p.effective_at, p.created_at, p.detail,
           (w.balance_cents - later.balance_later)::bigint AS balance_after,
           (w.pending_cents - later.pending_later)::bigint AS pending_after
      FROM page p
      JOIN later USING (id)
      JOIN wallets w ON w.org_id = ${orgId}
     ORDER BY p.id DESC
  `.execute(db);
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  return { data: page.map(toEntry), next: more ? page.at(-1)!.id : null };
}

const toEntry = (r: EntryRow): WalletEntry => ({
  id: r.id,
  entryType: r.entry_type,
  key: r.idempotency_key,
  balanceDeltaCents: r.balance_delta,
  pendingDeltaCents: r.pending_delta,
  balanceAfterCents: r.balance_after,
  pendingAfterCents: r.pending_after,
  projectId: r.project_id,
  platform: r.platform,
  externalId: r.external_id,
  topUpId: r.top_up_id,
  withdrawalLegId: r.withdrawal_leg_id,
  effectiveAt: r.effective_at.toISOString(),
  recordedAt: r.created_at.toISOString(),
  detail: r.detail,
});
