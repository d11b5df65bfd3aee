import { sql } from 'kysely';
import type { Db } from '../db/pool';

/** Each balance column and the ledger delta whose sum must equal it (guarantee 3). */
const COLUMNS = [
  ['included_remaining', 'included_delta'],
  ['prepaid_balance', 'prepaid_delta'],
  ['reserved_credits', 'reserved_delta'],
  ['included_this_period', 'allowance_delta'],
  ['used_this_period', 'used_delta'],
  ['overage_this_period', 'overage_delta'],
  ['written_off_this_period', 'written_off_delta'],
] as const;

export interface Drift {
  orgId: string;
  column: string;
  stored: number;
  expected: number;
  source: 'ledger' | 'reservations';
}

/**
 * Recomputes every balance from the ledger rows (and the held reservations) and lists each column that
 * disagrees. An empty list is the proof that the ledger explains every balance.
 */
export async function findDrift(db: Db): Promise<Drift[]> {
  const sums = COLUMNS.map(
    ([, delta]) => sql`coalesce(sum(${sql.ref(delta)}), 0)::bigint AS ${sql.ref(delta)}`,
  );
  const { rows } = await sql<Record<string, number | string>>`
    WITH sums AS (SELECT org_id, ${sql.join(sums)} FROM credit_ledger GROUP BY org_id),
         holds AS (SELECT org_id, sum(amount)::bigint AS held FROM reservations WHERE status = 'held' GROUP BY org_id)
    SELECT coalesce(b.org_id, s.org_id) AS org_id,
           ${sql.join(COLUMNS.map(([col]) => sql`coalesce(b.${sql.ref(col)}, 0) AS ${sql.ref(col)}`))},
           ${sql.join(COLUMNS.map(([, delta]) => sql`coalesce(s.${sql.ref(delta)}, 0) AS ${sql.ref(delta)}`))},
           coalesce(h.held, 0) AS held
      FROM credit_balances b
      FULL JOIN sums s ON s.org_id = b.org_id
      LEFT JOIN holds h ON h.org_id = coalesce(b.org_id, s.org_id)
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
  }
  return drift;
}
