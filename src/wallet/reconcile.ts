import { sql } from 'kysely';
import type { Db } from '../db/pool';

/** A wallet column that its records do not explain; the credits' Drift shape (src/credits/reconcile.ts). */
export interface WalletDrift {
  orgId: string;
  column: string;
  stored: number;
  expected: number;
  source: 'wallet_ledger' | 'wallet_top_ups' | 'wallet_debits' | 'wallet_withdrawals';
}

/**
 * Guarantee 3 for the wallet: replays the wallet ledger and lists every disagreement.
 * - balance_cents and pending_cents against the sums of their ledger deltas (wallet_ledger);
 * - pending_cents against the top-ups still pending (wallet_top_ups);
 * - the spend and fee legs against the platform bills they record (wallet_debits);
 * - the withdrawal legs against the refund legs not failed, refund + fee each (wallet_withdrawals).
 * `stored` is the column (or the ledger's side), `expected` what the records say it must be.
 */
export async function findWalletDrift(db: Db): Promise<WalletDrift[]> {
  const { rows } = await sql<{
    org_id: string;
    balance_cents: number;
    pending_cents: number;
    balance_delta: number;
    pending_delta: number;
    pending_top_ups: number;
    spend_legs: number;
    fee_legs: number;
    debit_spend: number;
    debit_fee: number;
    withdrawal_legs: number;
    open_refunds: number;
  }>`
    WITH ledger AS (
      SELECT org_id,
             sum(balance_delta)::bigint AS balance_delta,
             sum(pending_delta)::bigint AS pending_delta,
             (-sum(balance_delta) FILTER (WHERE entry_type = 'spend'))::bigint AS spend_legs,
             (-sum(balance_delta) FILTER (WHERE entry_type = 'fee'))::bigint AS fee_legs,
             (-sum(balance_delta) FILTER (WHERE entry_type IN ('withdrawal', 'withdrawal_reversed')))::bigint
               AS withdrawal_legs
        FROM wallet_ledger GROUP BY org_id),
    top_ups AS (
      SELECT org_id, sum(amount_cents)::bigint AS pending FROM wallet_top_ups WHERE status = 'pending' GROUP BY org_id),
    debits AS (
      SELECT org_id, sum(spend_cents)::bigint AS spend, sum(fee_cents)::bigint AS fee FROM wallet_debits GROUP BY org_id),
    refunds AS (
      SELECT org_id, sum(refund_cents + fee_cents)::bigint AS out
        FROM wallet_withdrawal_legs WHERE status <> 'failed' GROUP BY org_id),
    orgs AS (
      SELECT org_id FROM wallets UNION SELECT org_id FROM ledger UNION SELECT org_id FROM top_ups
      UNION SELECT org_id FROM debits UNION SELECT org_id FROM refunds)
    SELECT o.org_id,
           coalesce(w.balance_cents, 0) AS balance_cents, coalesce(w.pending_cents, 0) AS pending_cents,
           coalesce(l.balance_delta, 0) AS balance_delta, coalesce(l.pending_delta, 0) AS pending_delta,
           coalesce(t.pending, 0) AS pending_top_ups,
           coalesce(l.spend_legs, 0) AS spend_legs, coalesce(l.fee_legs, 0) AS fee_legs,
           coalesce(d.spend, 0) AS debit_spend, coalesce(d.fee, 0) AS debit_fee,
           coalesce(l.withdrawal_legs, 0) AS withdrawal_legs, coalesce(r.out, 0) AS open_refunds
      FROM orgs o
      LEFT JOIN wallets w ON w.org_id = o.org_id
      LEFT JOIN ledger l ON l.org_id = o.org_id
      LEFT JOIN top_ups t ON t.org_id = o.org_id
      LEFT JOIN debits d ON d.org_id = o.org_id
      LEFT JOIN refunds r ON r.org_id = o.org_id
     ORDER BY o.org_id
  `.execute(db);
  const drift: WalletDrift[] = [];
  const check = (
    orgId: string,
    column: string,
    stored: number,
    expected: number,
    source: WalletDrift['source'],
  ) => {
    if (stored !== expected) drift.push({ orgId, column, stored, expected, source });
  };
  for (const r of rows) {
    check(r.org_id, 'balance_cents', r.balance_cents, r.balance_delta, 'wallet_ledger');
    check(r.org_id, 'pending_cents', r.pending_cents, r.pending_delta, 'wallet_ledger');
    check(r.org_id, 'pending_cents', r.pending_cents, r.pending_top_ups, 'wallet_top_ups');
    check(r.org_id, 'spend_cents', r.spend_legs, r.debit_spend, 'wallet_debits');
    check(r.org_id, 'fee_cents', r.fee_legs, r.debit_fee, 'wallet_debits');
    check(r.org_id, 'withdrawn_cents', r.withdrawal_legs, r.open_refunds, 'wallet_withdrawals');
  }
  return drift;
}
