import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { requireNonEmpty } from '../credits/amounts';
import { DomainError, invalid, notFound } from '../errors';
import { requireBps } from './amounts';
import { requireLocalDay, requireTimeZone, startOfLocalDay, type LocalDay } from './days';
import type { DailyTotal } from './forecast';
import { toWalletSnapshot, type WalletSnapshot } from './records';
import { requireWalletSettings } from './settings';
import type { RefundableCharge } from './withdrawal';

/**
 * Opening a wallet, its settings, and the reads the wallet's rules take as input. No money moves here
 * (that is ./ledger.ts): settings are not balances and write no ledger row.
 */

export const walletNotAvailable = (orgId: string): DomainError =>
  new DomainError('WALLET_NOT_AVAILABLE', `organization ${orgId} is in BYO mode: it has no wallet`, {
    orgId,
  });

/** The 409 for a BYO org, the 404 for no org: why there is no wallet row. */
async function missingWallet(db: Db, orgId: string): Promise<DomainError> {
  const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
  return org ? walletNotAvailable(orgId) : notFound('organization', orgId);
}

/**
 * Gives an agency-mode org its wallet (empty, default settings); a no-op when it has one. BYO orgs get
 * none (409 WALLET_NOT_AVAILABLE). createOrganization calls it in the transaction that creates an agency
 * org, so such an org never exists without its wallet.
 */
export async function openWallet(db: Db, orgId: string): Promise<WalletSnapshot> {
  requireNonEmpty('orgId', orgId);
  await sql`
    INSERT INTO wallets (org_id)
    SELECT id FROM organizations WHERE id = ${orgId} AND billing_mode = 'agency'
    ON CONFLICT (org_id) DO NOTHING
  `.execute(db);
  return getWallet(db, orgId);
}

export async function getWallet(db: Db, orgId: string): Promise<WalletSnapshot> {
  requireNonEmpty('orgId', orgId);
  const row = await db.selectFrom('wallets').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw await missingWallet(db, orgId);
  return toWalletSnapshot(row);
}

export interface WalletSettingsPatch {
  floorCents?: number;
  autoTopUp?: {
    enabled: boolean;
    thresholdCents: number;
    amountCents: number;
    dailyCapCents: number;
  };
  timeZone?: string;
}

/**
 * Changes the floor, the auto-top-up settings and the time zone, each optional: merged with the current
 * ones under the wallet's row lock and validated as a whole (src/wallet/settings.ts), so a floor raised
 * above an enabled threshold is refused (VALIDATION_FAILED naming the field) however the two requests
 * interleave. Disabling takes effect for every auto top-up not yet claimed (the claim re-reads the switch
 * under the same lock). A time zone must be known to PostgreSQL as well as to Intl, since both compute the
 * org's days. Re-enabling does not reset the breaker: that takes a card update or a manual card top-up.
 */
export async function updateWalletSettings(
  db: Db,
  orgId: string,
  patch: WalletSettingsPatch,
): Promise<WalletSnapshot> {
  requireNonEmpty('orgId', orgId);
  const timeZone = patch.timeZone === undefined ? undefined : requireTimeZone('timeZone', patch.timeZone);
  return inTransaction(db, async (trx) => {
    const current = await trx
      .selectFrom('wallets')
      .selectAll()
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw await missingWallet(trx, orgId);
    const settings = requireWalletSettings({
      floorCents: patch.floorCents ?? current.floor_cents,
      autoTopUp: patch.autoTopUp ?? {
        enabled: current.auto_top_up_enabled,
        thresholdCents: current.auto_top_up_threshold_cents,
        amountCents: current.auto_top_up_amount_cents,
        dailyCapCents: current.auto_top_up_daily_cap_cents,
      },
    });
    if (timeZone !== undefined) await requireKnownToPostgres(trx, timeZone);
    const row = await trx
      .updateTable('wallets')
      .set({
        floor_cents: settings.floorCents,
        auto_top_up_enabled: settings.autoTopUp.enabled,
        auto_top_up_threshold_cents: settings.autoTopUp.thresholdCents,
        auto_top_up_amount_cents: settings.autoTopUp.amountCents,
        auto_top_up_daily_cap_cents: settings.autoTopUp.dailyCapCents,
        time_zone: timeZone ?? current.time_zone,
        updated_at: sql<Date>`now()`,
      })
      .where('org_id', '=', orgId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWalletSnapshot(row);
  });
}

async function requireKnownToPostgres(db: Db, timeZone: string): Promise<void> {
  try {
    await sql`SELECT now() AT TIME ZONE ${timeZone}`.execute(db);
  } catch (err) {
    // 22023: "time zone … not recognized". Inside the transaction it is aborted either way: refuse.
    if ((err as { code?: string }).code === '22023')
      throw invalid('timeZone', 'is not a time zone PostgreSQL knows');
    throw err;
  }
}

/** The org's platform fee (seed 001 platform_fee_percent), in basis points: an operator's setting. */
export async function setPlatformFeeBps(db: Db, orgId: string, feeBps: number): Promise<WalletSnapshot> {
  requireNonEmpty('orgId', orgId);
  const bps = requireBps('feeBps', feeBps);
  const row = await db
    .updateTable('wallets')
    .set({ platform_fee_bps: bps, updated_at: sql<Date>`now()` })
    .where('org_id', '=', orgId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw await missingWallet(db, orgId);
  return toWalletSnapshot(row);
}

/** A new card on file: declines so far say nothing about it, so the breaker and the count start over. */
export async function resetAutoTopUpBreaker(db: Db, orgId: string): Promise<WalletSnapshot> {
  requireNonEmpty('orgId', orgId);
  const row = await db
    .updateTable('wallets')
    .set({ consecutive_declines: 0, auto_top_up_disabled_reason: null, updated_at: sql<Date>`now()` })
    .where('org_id', '=', orgId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw await missingWallet(db, orgId);
  return toWalletSnapshot(row);
}

export interface AutoTopUpDay {
  /** Auto top-ups started on the day, pending and succeeded: what the cap has used. */
  usedCents: number;
  /** One is pending now (in flight), whatever its day. */
  inFlight: boolean;
}

/** The auto-top-up decision's inputs from the top-ups themselves (src/wallet/auto-top-up.ts). */
export async function autoTopUpDay(db: Db, orgId: string, day: LocalDay): Promise<AutoTopUpDay> {
  requireLocalDay('day', day);
  const { rows } = await sql<{ used: number; in_flight: boolean }>`
    SELECT
      (SELECT coalesce(sum(amount_cents), 0)::bigint FROM wallet_top_ups
        WHERE org_id = ${orgId} AND trigger = 'auto' AND status <> 'failed' AND local_day = ${day}) AS used,
      EXISTS (SELECT 1 FROM wallet_top_ups
        WHERE org_id = ${orgId} AND trigger = 'auto' AND status = 'pending') AS in_flight
  `.execute(db);
  return { usedCents: rows[0]!.used, inFlight: rows[0]!.in_flight };
}

/**
 * Spend + fee per local day of the wallet's time zone, for days in [from, to): the forecast's input
 * (src/wallet/forecast.ts). Bills count on the day they occurred, not the day they were recorded.
 */
export async function dailySpendTotals(
  db: Db,
  orgId: string,
  from: LocalDay,
  to: LocalDay,
): Promise<DailyTotal[]> {
  requireLocalDay('from', from);
  requireLocalDay('to', to);
  const { time_zone: tz } = await db
    .selectFrom('wallets')
    .select('time_zone')
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow(() => notFound('wallet', orgId));
  const { rows } = await sql<{ day: LocalDay; cents: number }>`
    SELECT (occurred_at AT TIME ZONE ${tz})::date AS day, sum(spend_cents + fee_cents)::bigint AS cents
      FROM wallet_debits
     WHERE org_id = ${orgId} AND occurred_at >= ${startOfLocalDay(from, tz)} AND occurred_at < ${startOfLocalDay(to, tz)}
     GROUP BY 1 ORDER BY 1
  `.execute(db);
  return rows;
}

/** The org's succeeded card charges and what has been refunded of each so far (legs not failed). */
export async function refundableCharges(db: Db, orgId: string): Promise<RefundableCharge[]> {
  const { rows } = await sql<{ id: number; amount_cents: number; refunded: number; started_at: Date }>`
    SELECT t.id, t.amount_cents, t.started_at,
           coalesce((SELECT sum(l.refund_cents) FROM wallet_withdrawal_legs l
                      WHERE l.top_up_id = t.id AND l.status <> 'failed'), 0)::bigint AS refunded
      FROM wallet_top_ups t
     WHERE t.org_id = ${orgId} AND t.method = 'card' AND t.status = 'succeeded'
     ORDER BY t.started_at DESC, t.id DESC
  `.execute(db);
  return rows.map((r) => ({
    topUpId: r.id,
    amountCents: r.amount_cents,
    refundedCents: r.refunded,
    startedAt: r.started_at,
  }));
}

/** The wallet's time zone: what turns a business time into the org's local day. */
export async function walletTimeZone(db: Db, orgId: string): Promise<string> {
  const row = await db
    .selectFrom('wallets')
    .select('time_zone')
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!row) throw await missingWallet(db, orgId);
  return row.time_zone;
}
