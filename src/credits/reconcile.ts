import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { findWalletDrift, type WalletDrift } from '../wallet/reconcile';

/** Each balance column and the ledger delta whose sum must equal it (guarantee 3). */
const COLUMNS = [
  ['included_remaining', 'included_delta'],
  ['prepaid_balance', 'prepaid_delta'],
  ['reserved_credits', 'reserved_delta'],
  ['included_this_period', 'allowance_delta'],
  ['used_this_period', 'used_delta'],
  ['overage_this_period', 'overage_delta'],
  ['written_off_this_period', 'written_off_delta'],
  ['rolled_over_remaining', 'rolled_over_delta'],
  ['pending_expiry', 'pending_expiry_delta'],
  ['rolled_over_in_this_period', 'rolled_over_in_delta'],
  ['rollover_expired_this_period', 'rollover_expired_delta'],
  ['expired_this_period', 'expired_delta'],
] as const;

export type Drift =
  | {
      orgId: string;
      column: string;
      /** Credits, or for rollover_expires_at an ISO date-time (null: none). */
      stored: number | string | null;
      expected: number | string | null;
      source: 'ledger' | 'reservations' | 'grants';
    }
  | WalletDrift;

/**
 * Recomputes every balance from the ledger rows, the held reservations and the live rolled-over grants,
 * and lists each column that disagrees; then the same for the agency wallets (src/wallet/reconcile.ts).
 * An empty list is the proof that the ledgers explain every balance.
 */
export async function findDrift(db: Db): Promise<Drift[]> {
  const [credits, wallets] = await Promise.all([findCreditDrift(db), findWalletDrift(db)]);
  return [...credits, ...wallets];
}

async function findCreditDrift(db: Db): Promise<Drift[]> {
  const sums = COLUMNS.map(
    ([, delta]) => sql`coalesce(sum(${sql.ref(delta)}), 0)::bigint AS ${sql.ref(delta)}`,
  );
  const { rows } = await sql<Record<string, number | string | Date | null>>`
    WITH sums AS (SELECT org_id, ${sql.join(sums)} FROM credit_ledger GROUP BY org_id),
         holds AS (SELECT org_id, sum(amount)::bigint AS held FROM reservations WHERE status = 'held' GROUP BY org_id),
         grants AS (SELECT org_id, sum(remaining)::bigint AS granted, min(expires_at) AS earliest
                      FROM credit_grants WHERE remaining > 0 GROUP BY org_id)
    SELECT coalesce(b.org_id, s.org_id) AS org_id,
           ${sql.join(COLUMNS.map(([col]) => sql`coalesce(b.${sql.ref(col)}, 0) AS ${sql.ref(col)}`))},
           ${sql.join(COLUMNS.map(([, delta]) => sql`coalesce(s.${sql.ref(delta)}, 0) AS ${sql.ref(delta)}`))},
           coalesce(h.held, 0) AS held,
           coalesce(g.granted, 0) AS granted,
           b.rollover_expires_at, g.earliest
      FROM credit_balances b
      FULL JOIN sums s ON s.org_id = b.org_id
      LEFT JOIN holds h ON h.org_id = coalesce(b.org_id, s.org_id)
      LEFT JOIN grants g ON g.org_id = coalesce(b.org_id, s.org_id)
  `.execute(db);
  const drift: Drift[] = [];
  for (const row of rows) {
    const orgId = String(row.org_id);
    for (const [col, delta] of COLUMNS) {
      if (row[col] !== row[delta]) {
        drift.push({
          orgId,
          column: col,
          stored: Number(row[col]),
          expected: Number(row[delta]),
          source: 'ledger',
        });
      }
    }
    if (row.reserved_credits !== row.held) {
      drift.push({
        orgId,
        column: 'reserved_credits',
        stored: Number(row.reserved_credits),
        expected: Number(row.held),
        source: 'reservations',
      });
    }
    if (row.rolled_over_remaining !== row.granted) {
      drift.push({
        orgId,
        column: 'rolled_over_remaining',
        stored: Number(row.rolled_over_remaining),
        expected: Number(row.granted),
        source: 'grants',
      });
    }
    const [stored, expected] = [isoOrNull(row.rollover_expires_at), isoOrNull(row.earliest)];
    if (stored !== expected) {
      drift.push({ orgId, column: 'rollover_expires_at', stored, expected, source: 'grants' });
    }
  }
  return drift;
}

const isoOrNull = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : null);
