import type { Db } from '../../src/db/pool';
import { expect } from 'vitest';
import { fingerprint } from '../support/fixtures';

/** Everything a ledger write could touch, the period tables included: a refused call must leave it as is. */
export async function ledgerFingerprint(db: Db) {
  const [base, grants, periods] = await Promise.all([
    fingerprint(db),
    db.selectFrom('credit_grants').selectAll().orderBy('id').execute(),
    db.selectFrom('credit_periods').selectAll().orderBy('org_id').orderBy('period_start').execute(),
  ]);
  return { ...base, grants, periods };
}

export const balanceOf = (db: Db, orgId: string) =>
  db.selectFrom('credit_balances').selectAll().where('org_id', '=', orgId).executeTakeFirstOrThrow();

export const ledgerRows = (db: Db, orgId: string) =>
  db.selectFrom('credit_ledger').selectAll().where('org_id', '=', orgId).orderBy('id').execute();

export const liveGrants = (db: Db, orgId: string) =>
  db
    .selectFrom('credit_grants')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('remaining', '>', 0)
    .orderBy('expires_at')
    .execute();

/**
 * The balance row's own invariants, beyond what the database CHECKs: the pending credits are held, and
 * what is held fits in the balance.
 */
export async function expectSoundBalance(db: Db, orgId: string) {
  const b = await balanceOf(db, orgId);
  expect(b.pending_expiry).toBeLessThanOrEqual(b.reserved_credits);
  expect(b.reserved_credits).toBeLessThanOrEqual(
    b.included_remaining + b.rolled_over_remaining + b.pending_expiry + b.prepaid_balance,
  );
  expect(b.included_remaining).toBeLessThanOrEqual(b.included_this_period);
  return b;
}

/**
 * Conservation: every credit that entered the org's balance (grants, allowances, rollover is a move not
 * an entry) is still there, was spent by a capture, or expired. Read from the ledger rows by kind, so it
 * checks the functions' arithmetic against each other rather than replaying the same deltas.
 */
export async function expectConserved(db: Db, orgId: string) {
  const rows = await ledgerRows(db, orgId);
  const b = await balanceOf(db, orgId);
  const periods = await db.selectFrom('credit_periods').selectAll().where('org_id', '=', orgId).execute();
  const entered =
    sum(
      rows.filter((r) => r.entry_type.startsWith('grant_')),
      (r) => r.included_delta + r.prepaid_delta,
    ) +
    sum(
      rows.filter((r) => r.entry_type === 'allowance_change'),
      (r) => Math.max(0, r.included_delta),
    ) +
    sum(periods, (p) => p.next_allowance);
  const captures = rows.filter((r) => r.entry_type === 'capture');
  const spent = sum(captures, (r) => r.used_delta - r.overage_delta - r.written_off_delta);
  const expired = sum(periods, (p) => p.expired) + b.expired_this_period;
  const total = b.included_remaining + b.rolled_over_remaining + b.pending_expiry + b.prepaid_balance;
  expect(total).toBe(entered - spent - expired);
}

function sum<T>(items: T[], f: (item: T) => number): number {
  return items.reduce((acc, item) => acc + f(item), 0);
}
