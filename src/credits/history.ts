import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/pool';
import type { LedgerEntryType } from './entry-types';

/**
 * The credit ledger as the org's billing history (seed 003: "review the exact amount deducted … in the
 * billing history"): GET /v1/credits/history, the twin of the wallet's statement (src/wallet/queries.ts
 * listWalletEntries). No money moves here; every query is scoped by the org, so another org's rows are
 * simply not found.
 */
export interface CreditEntry {
  id: number;
  entryType: LedgerEntryType;
  /** The row's business key: the same change is never recorded twice under it. */
  key: string;
  /**
   * How the balance (includedRemaining + prepaidBalance, GET /v1/credits) moved: negative for what a
   * capture deducted or what expired, positive for grants. 0 for a hold or its release, which move only
   * reservedDelta.
   */
  credits: number;
  reservedDelta: number;
  /** Balance and held credits right after this row, in the order rows were recorded. */
  balanceAfter: number;
  reservedAfter: number;
  /**
   * The row's change to the period's used credits: a capture's actual cost in full, whatever paid for
   * it; negative at a period close, which starts the count again.
   */
  usedDelta: number;
  /** Likewise for overage: what a capture's balance could not cover, billed at the period close. */
  overageDelta: number;
  projectId: string | null;
  generationId: string | null;
  reason: string | null;
  /** Business time: the operation's own (a period close's end) where it has one, else when it was written. */
  effectiveAt: string;
  /** When the row was written. */
  recordedAt: string;
  detail: Record<string, unknown> | null;
}

export interface CreditEntryFilter {
  projectId?: string;
  generationId?: string;
  entryType?: LedgerEntryType;
  /** effectiveAt at or after. */
  from?: Date;
  /** effectiveAt before. */
  to?: Date;
}

export interface CreditEntryPage {
  data: CreditEntry[];
  /** The id of the page's last row: pass back as `before` for the next page; null on the last page. */
  next: number | null;
}

interface EntryRow {
  id: number;
  entry_type: LedgerEntryType;
  idempotency_key: string;
  balance_delta: number;
  reserved_delta: number;
  balance_after: number;
  reserved_after: number;
  used_delta: number;
  overage_delta: number;
  project_id: string | null;
  generation_id: string | null;
  reason: string | null;
  effective_at: Date;
  created_at: Date;
  detail: Record<string, unknown> | null;
}

const and = (condition: RawBuilder<unknown> | false): RawBuilder<unknown> =>
  condition === false ? sql`` : sql` AND ${condition}`;

/** A row's move of the balance: every column GET /v1/credits adds up into `balance` (src/credits/snapshot.ts). */
const BALANCE_DELTA = sql`(l.included_delta + l.rolled_over_delta + l.pending_expiry_delta + l.prepaid_delta)`;
const EFFECTIVE_AT = sql`coalesce(l.effective_at, l.created_at)`;

/**
 * The credit ledger newest first, in the order rows were recorded (every ledger function writes its row
 * while it holds the org's balance row lock, so an org's ids rise in commit order), keyset-paginated on
 * the id. Each row carries the balance after it: the org's balance minus every later row's delta, over
 * all the org's rows whatever the filter, read in the same statement (one snapshot) as the page. That
 * walks the rows from the page's oldest to now (index credit_ledger_org_id), cheap for the recent pages a
 * history is read from.
 */
export async function listCreditEntries(
  db: Db,
  orgId: string,
  opts: { filter?: CreditEntryFilter; limit: number; before?: number },
): Promise<CreditEntryPage> {
  const f = opts.filter ?? {};
  const where = sql.join(
    [
      and(f.projectId !== undefined && sql`l.project_id = ${f.projectId}`),
      and(f.generationId !== undefined && sql`l.generation_id = ${f.generationId}`),
      and(f.entryType !== undefined && sql`l.entry_type = ${f.entryType}`),
      and(f.from !== undefined && sql`${EFFECTIVE_AT} >= ${f.from}`),
      and(f.to !== undefined && sql`${EFFECTIVE_AT} < ${f.to}`),
      and(opts.before !== undefined && sql`l.id < ${opts.before}`),
    ],
    sql``,
  );
  const { rows } = await sql<EntryRow>`
    WITH page AS (
      SELECT l.*, ${BALANCE_DELTA} AS balance_delta, ${EFFECTIVE_AT} AS effective
        FROM credit_ledger l WHERE l.org_id = ${orgId}${where}
       ORDER BY l.id DESC LIMIT ${opts.limit + 1}
    ), later AS (
      SELECT l.id,
             coalesce(sum(${BALANCE_DELTA}) OVER newer, 0) AS balance_later,
             coalesce(sum(l.reserved_delta) OVER newer, 0) AS reserved_later
        FROM credit_ledger l
       WHERE l.org_id = ${orgId} AND l.id >= (SELECT min(id) FROM page)
      WINDOW newer AS (ORDER BY l.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    SELECT p.id, p.entry_type, p.idempotency_key, p.balance_delta, p.reserved_delta, p.used_delta,
           p.overage_delta, p.project_id, p.generation_id, p.reason, p.effective AS effective_at, p.created_at,
           p.detail,
           (b.included_remaining + b.rolled_over_remaining + b.pending_expiry + b.prepaid_balance
             - later.balance_later)::bigint AS balance_after,
           (b.reserved_credits - later.reserved_later)::bigint AS reserved_after
      FROM page p
      JOIN later USING (id)
      JOIN credit_balances b ON b.org_id = ${orgId}
     ORDER BY p.id DESC
  `.execute(db);
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  return { data: page.map(toEntry), next: more ? page.at(-1)!.id : null };
}

const toEntry = (r: EntryRow): CreditEntry => ({
  id: r.id,
  entryType: r.entry_type,
  key: r.idempotency_key,
  credits: r.balance_delta,
  reservedDelta: r.reserved_delta,
  balanceAfter: r.balance_after,
  reservedAfter: r.reserved_after,
  usedDelta: r.used_delta,
  overageDelta: r.overage_delta,
  projectId: r.project_id,
  generationId: r.generation_id,
  reason: r.reason,
  effectiveAt: r.effective_at.toISOString(),
  recordedAt: r.created_at.toISOString(),
  detail: r.detail,
});
