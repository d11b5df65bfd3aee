import { sql } from 'kysely';
import { requireNonEmpty } from '../credits/amounts';
import { single, unexpected } from '../credits/ledger';
import type { Db } from '../db/pool';
import { DomainError, invalid, notFound } from '../errors';
import { requireCents } from './amounts';
import { BREAKER_DECLINES, MINIMUM_TOP_UP_CENTS } from './auto-top-up';
import {
  achExpectedSettlement,
  localDay,
  requireInstant,
  requireLocalDay,
  type Instant,
  type LocalDay,
} from './days';
import {
  autoTopUpKey,
  debitFeeKey,
  debitSpendKey,
  manualTopUpKey,
  topUpSettleKey,
  topUpStartKey,
  wireCreditKey,
  wireLedgerKey,
  withdrawalDebitKey,
  withdrawalKey,
  withdrawalLegKey,
  withdrawalReverseKey,
} from './ids';
import { requirePlatform } from './platforms';
import {
  toDebit,
  toTopUp,
  toWalletSnapshot,
  toWithdrawalLeg,
  type Debit,
  type DebitRowData,
  type TopUp,
  type TopUpRowData,
  type WalletRowData,
  type WalletSnapshot,
  type WithdrawalLegRecord,
  type WithdrawalLegRowData,
} from './records';
import type { PlatformName } from './statuses';
import { walletNotAvailable, walletTimeZone } from './wallets';

/**
 * The wallet ledger's operations. Each is one call of a PL/pgSQL function (src/db/functions/wallet_*.sql):
 * one transaction under the wallet row's lock, one ledger row per balance change, idempotent on a business
 * key of ./ids.ts. Business time (`at`) always comes from the caller (the wallet workflow, the request),
 * never from a clock here or in the database. Input is validated here first, so bad input never reaches
 * the database; every refusal writes nothing.
 */

const missing = (outcome: string, orgId: string): DomainError | undefined =>
  outcome === 'not_available'
    ? walletNotAvailable(orgId)
    : outcome === 'org_not_found'
      ? notFound('organization', orgId)
      : undefined;

const keyReused = (key: string, what: string): DomainError =>
  new DomainError('IDEMPOTENCY_KEY_REUSED', `wallet key ${key} was already used for ${what}`, { key });

const dayMismatch = (day: LocalDay, at: Date): DomainError =>
  invalid('localDay', `${day} is not the day of ${at.toISOString()} in the wallet's time zone`);

// ---- Spend ----

export interface RecordSpendInput {
  orgId: string;
  platform: string;
  projectId: string;
  /** What the platform billed; the platform fee is added on top at the wallet's rate. */
  amountCents: number;
  occurredAt: Instant;
  /** The platform's id of the bill: a repeat is a no-op. */
  externalId: string;
}

export interface RecordSpendResult {
  duplicate: boolean;
  /** As first recorded, on a repeat too. */
  debit: Debit;
  wallet: WalletSnapshot;
}

/**
 * One platform bill: the spend and the platform fee leave the settled balance as two linked ledger legs,
 * in full even below zero. Its `crossedThreshold`/`crossedFloor` say whether this bill is the one that
 * took the balance under the auto-top-up threshold or the floor: what the caller tells the wallet
 * workflow about (once per crossing, not once per bill).
 */
export async function recordSpend(db: Db, input: RecordSpendInput): Promise<RecordSpendResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const platform: PlatformName = requirePlatform(input.platform);
  const projectId = requireNonEmpty('projectId', input.projectId);
  const spend = requireCents('amountCents', input.amountCents);
  const occurredAt = requireInstant('occurredAt', input.occurredAt);
  const externalId = requireNonEmpty('externalId', input.externalId);
  const { rows } = await sql<{ outcome: string; debit: DebitRowData | null; wallet: WalletRowData | null }>`
    SELECT outcome, debit, wallet FROM wallet_record_spend(${orgId}, ${platform}, ${projectId}, ${spend},
      ${occurredAt}, ${externalId}, ${debitSpendKey(platform, externalId)}, ${debitFeeKey(platform, externalId)})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'recorded':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        debit: toDebit(row.debit!),
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict':
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        `${platform} bill ${externalId} was already recorded with another project, amount or time`,
        { platform, externalId, recorded: toDebit(row.debit!) },
      );
    case 'project_not_found':
      throw notFound('project', projectId);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_record_spend', row.outcome);
  }
}

// ---- Top-ups ----

export interface ClaimAutoTopUpInput {
  orgId: string;
  /** The org's local day of `at` (src/wallet/days.ts localDay): the day whose cap the charge uses. */
  localDay: LocalDay;
  /** planAutoTopUp's amount. */
  amountCents: number;
  /** Business time of the decision: names the top-up (autoTopUpKey). */
  at: Instant;
}

export type ClaimAutoTopUpResult =
  | {
      status: 'claimed';
      duplicate: boolean;
      topUp: TopUp;
      /** The day's auto top-ups with this one. */
      usedTodayCents: number;
      dailyCapCents: number;
      wallet: WalletSnapshot;
    }
  | {
      status: 'refused';
      /** 'cap_exceeded': it would pass the day's cap; 'disabled'/'breaker': auto-top-up is off. */
      reason: 'cap_exceeded' | 'disabled' | 'breaker';
      usedTodayCents: number;
      dailyCapCents: number;
      wallet: WalletSnapshot;
    };

/**
 * Guarantee 6: claims an auto top-up before the card is charged, only if the day's auto top-ups stay
 * within the cap (counted under the wallet's row lock from the top-ups themselves). A claimed top-up is
 * pending; its charge's outcome settles it (settleTopUp). Its key is the Stripe idempotency key.
 */
export async function claimAutoTopUp(db: Db, input: ClaimAutoTopUpInput): Promise<ClaimAutoTopUpResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const day = requireLocalDay('localDay', input.localDay);
  const amount = requireCents('amountCents', input.amountCents);
  const at = requireInstant('at', input.at);
  const key = autoTopUpKey(orgId, at);
  const { rows } = await sql<{
    outcome: string;
    top_up: TopUpRowData | null;
    used_cents: number | null;
    cap_cents: number | null;
    wallet: WalletRowData | null;
  }>`
    SELECT outcome, top_up, used_cents, cap_cents, wallet
      FROM wallet_claim_auto_top_up(${orgId}, ${day}, ${amount}, ${key}, ${topUpStartKey(key)}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'claimed':
    case 'duplicate':
      return {
        status: 'claimed',
        duplicate: row.outcome === 'duplicate',
        topUp: toTopUp(row.top_up!),
        usedTodayCents: row.used_cents!,
        dailyCapCents: row.cap_cents!,
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'cap_exceeded':
    case 'disabled':
    case 'breaker':
      return {
        status: 'refused',
        reason: row.outcome,
        usedTodayCents: row.used_cents!,
        dailyCapCents: row.cap_cents!,
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict':
      throw keyReused(key, 'an auto top-up of another amount or day');
    case 'day_mismatch':
      throw dayMismatch(day, at);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_claim_auto_top_up', row.outcome);
  }
}

export interface StartTopUpInput {
  orgId: string;
  method: 'card' | 'ach';
  amountCents: number;
  /** The request's Idempotency-Key: names the top-up (manualTopUpKey). */
  idempotencyKey: string;
  at: Instant;
}

export interface TopUpResult {
  duplicate: boolean;
  topUp: TopUp;
  wallet: WalletSnapshot;
}

/**
 * A top-up the org asked for, before anything is charged: pending until its charge settles (a card in
 * seconds, ACH in 1–3 business days: the expected date is the top-up's expectedSettlement). At least
 * MINIMUM_TOP_UP_CENTS; no daily cap (that bounds what the wallet charges on its own).
 */
export async function startTopUp(db: Db, input: StartTopUpInput): Promise<TopUpResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  if (input.method !== 'card' && input.method !== 'ach') throw invalid('method', 'must be card or ach');
  const amount = requireCents('amountCents', input.amountCents);
  if (amount < MINIMUM_TOP_UP_CENTS)
    throw invalid('amountCents', `must be at least ${MINIMUM_TOP_UP_CENTS} cents`);
  const idempotencyKey = requireNonEmpty('idempotencyKey', input.idempotencyKey);
  const at = requireInstant('at', input.at);
  const day = localDay(at, await walletTimeZone(db, orgId));
  const expected = input.method === 'ach' ? achExpectedSettlement(day) : null;
  const key = manualTopUpKey(orgId, idempotencyKey);
  const { rows } = await sql<{ outcome: string; top_up: TopUpRowData | null; wallet: WalletRowData | null }>`
    SELECT outcome, top_up, wallet FROM wallet_start_top_up(${orgId}, ${input.method}, ${amount}, ${day},
      ${expected}, ${key}, ${topUpStartKey(key)}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'started':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        topUp: toTopUp(row.top_up!),
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict':
      throw keyReused(key, 'a top-up of another method or amount');
    case 'day_mismatch':
      // The time zone changed between the read above and the call: the caller's retry reads it again.
      throw new Error(`wallet_start_top_up: the time zone of ${orgId} changed while its top-up started`);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_start_top_up', row.outcome);
  }
}

export interface SettleTopUpInput {
  orgId: string;
  /** The top-up's key (TopUp.key). */
  topUpKey: string;
  /**
   * 'declined': the card was declined (an auto top-up's decline counts toward the breaker); 'failed':
   * anything else (an ACH return, a top-up cancelled before it reached Stripe).
   */
  outcome: 'succeeded' | 'declined' | 'failed';
  paymentIntentId?: string | null;
  reason?: string | null;
  at: Instant;
}

export interface SettleTopUpResult extends TopUpResult {
  /** This decline was the BREAKER_DECLINES-th in a row: auto-top-up is now off (notify, once). */
  breakerTripped: boolean;
}

export async function settleTopUp(db: Db, input: SettleTopUpInput): Promise<SettleTopUpResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const key = requireNonEmpty('topUpKey', input.topUpKey, 500);
  if (!['succeeded', 'declined', 'failed'].includes(input.outcome)) {
    throw invalid('outcome', 'must be succeeded, declined or failed');
  }
  const paymentIntentId =
    input.paymentIntentId == null ? null : requireNonEmpty('paymentIntentId', input.paymentIntentId);
  const reason = input.reason == null ? null : requireNonEmpty('reason', input.reason, 1000);
  const at = requireInstant('at', input.at);
  const { rows } = await sql<{
    outcome: string;
    top_up: TopUpRowData | null;
    breaker_tripped: boolean;
    wallet: WalletRowData | null;
  }>`
    SELECT outcome, top_up, breaker_tripped, wallet FROM wallet_settle_top_up(${orgId}, ${key}, ${input.outcome},
      ${paymentIntentId}, ${reason}, ${topUpSettleKey(key)}, ${BREAKER_DECLINES}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'succeeded':
    case 'failed':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        topUp: toTopUp(row.top_up!),
        breakerTripped: row.breaker_tripped,
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict': {
      const topUp = toTopUp(row.top_up!);
      throw new DomainError('WALLET_ALREADY_SETTLED', `top-up ${key} already ${topUp.status}`, {
        key,
        topUp,
      });
    }
    case 'not_found':
      throw notFound('top-up', key);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_settle_top_up', row.outcome);
  }
}

export interface CreditWireInput {
  orgId: string;
  amountCents: number;
  /** The bank's reference of the wire: it is credited once. */
  reference: string;
  at: Instant;
}

/** A wire transfer finance has seen arrive, credited to the settled balance (the admin CLI's). */
export async function creditWire(db: Db, input: CreditWireInput): Promise<TopUpResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const amount = requireCents('amountCents', input.amountCents);
  const reference = requireNonEmpty('reference', input.reference);
  const at = requireInstant('at', input.at);
  const day = localDay(at, await walletTimeZone(db, orgId));
  const key = wireCreditKey(orgId, reference);
  const { rows } = await sql<{ outcome: string; top_up: TopUpRowData | null; wallet: WalletRowData | null }>`
    SELECT outcome, top_up, wallet FROM wallet_credit_wire(${orgId}, ${amount}, ${reference}, ${day}, ${key},
      ${wireLedgerKey(key)}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'credited':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        topUp: toTopUp(row.top_up!),
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict':
      throw keyReused(key, `wire ${reference} with another amount`);
    case 'day_mismatch':
      throw new Error(`wallet_credit_wire: the time zone of ${orgId} changed while its wire was credited`);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_credit_wire', row.outcome);
  }
}

// ---- Withdrawals ----

export interface WithdrawalLegInput {
  orgId: string;
  /** The withdrawal request's Idempotency-Key: with the top-up, it names the leg (withdrawalLegKey). */
  withdrawalId: string;
  topUpId: number;
  /** planWithdrawal's leg. */
  refundCents: number;
  feeCents: number;
  at: Instant;
}

export interface WithdrawalLegResult {
  duplicate: boolean;
  leg: WithdrawalLegRecord;
  wallet: WalletSnapshot;
}

const legKeyOf = (orgId: string, withdrawalId: string, topUpId: number) =>
  withdrawalLegKey(withdrawalKey(orgId, withdrawalId), topUpId);

const requireTopUpId = (value: unknown): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid('topUpId', 'must be a top-up id');
  }
  return value;
};

/**
 * Debits one refund leg (refund + processor fee) from the settled balance before Stripe is asked for the
 * refund. Never more than the settled balance, never more back to a charge than it charged (409
 * WALLET_INSUFFICIENT_BALANCE).
 */
export async function startWithdrawalLeg(db: Db, input: WithdrawalLegInput): Promise<WithdrawalLegResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const withdrawalId = requireNonEmpty('withdrawalId', input.withdrawalId);
  const topUpId = requireTopUpId(input.topUpId);
  const refund = requireCents('refundCents', input.refundCents);
  const fee = requireCents('feeCents', input.feeCents, { min: 0 });
  const at = requireInstant('at', input.at);
  const legKey = legKeyOf(orgId, withdrawalId, topUpId);
  const { rows } = await sql<{
    outcome: string;
    leg: WithdrawalLegRowData | null;
    refundable_cents: number | null;
    wallet: WalletRowData | null;
  }>`
    SELECT outcome, leg, refundable_cents, wallet FROM wallet_withdraw_leg(${orgId},
      ${withdrawalKey(orgId, withdrawalId)}, ${topUpId}, ${refund}, ${fee}, ${legKey}, ${withdrawalDebitKey(legKey)}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'debited':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        leg: toWithdrawalLeg(row.leg!),
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict':
      throw keyReused(legKey, 'a refund leg of other amounts');
    case 'insufficient':
    case 'exceeds_charge': {
      const wallet = toWalletSnapshot(row.wallet!);
      throw new DomainError(
        'WALLET_INSUFFICIENT_BALANCE',
        row.outcome === 'insufficient'
          ? `a refund of ${refund} cents plus ${fee} cents of fees is more than the settled balance`
          : `a refund of ${refund} cents is more than top-up ${topUpId} has left to refund`,
        { settledBalanceCents: wallet.balanceCents, refundableCents: row.refundable_cents, topUpId },
      );
    }
    case 'top_up_not_found':
      throw notFound('top-up', String(topUpId));
    case 'not_refundable':
      throw invalid('topUpId', `top-up ${topUpId} is not a succeeded card charge`);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_withdraw_leg', row.outcome);
  }
}

export interface SettleWithdrawalLegInput {
  orgId: string;
  withdrawalId: string;
  topUpId: number;
  outcome: 'succeeded' | 'failed';
  stripeRefundId?: string | null;
  reason?: string | null;
  at: Instant;
}

/** Stripe's answer for a leg: a failed refund credits the leg (refund + fee) back. */
export async function settleWithdrawalLeg(
  db: Db,
  input: SettleWithdrawalLegInput,
): Promise<WithdrawalLegResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const withdrawalId = requireNonEmpty('withdrawalId', input.withdrawalId);
  const topUpId = requireTopUpId(input.topUpId);
  if (input.outcome !== 'succeeded' && input.outcome !== 'failed')
    throw invalid('outcome', 'must be succeeded or failed');
  const refundId =
    input.stripeRefundId == null ? null : requireNonEmpty('stripeRefundId', input.stripeRefundId);
  const reason = input.reason == null ? null : requireNonEmpty('reason', input.reason, 1000);
  const at = requireInstant('at', input.at);
  const legKey = legKeyOf(orgId, withdrawalId, topUpId);
  const { rows } = await sql<{
    outcome: string;
    leg: WithdrawalLegRowData | null;
    wallet: WalletRowData | null;
  }>`
    SELECT outcome, leg, wallet FROM wallet_settle_withdrawal_leg(${orgId}, ${legKey}, ${input.outcome},
      ${refundId}, ${reason}, ${withdrawalReverseKey(legKey)}, ${at})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'succeeded':
    case 'failed':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        leg: toWithdrawalLeg(row.leg!),
        wallet: toWalletSnapshot(row.wallet!),
      };
    case 'conflict': {
      const leg = toWithdrawalLeg(row.leg!);
      throw new DomainError('WALLET_ALREADY_SETTLED', `refund leg ${legKey} already ${leg.status}`, {
        key: legKey,
        leg,
      });
    }
    case 'not_found':
      throw notFound('withdrawal leg', legKey);
    default:
      throw missing(row.outcome, orgId) ?? unexpected('wallet_settle_withdrawal_leg', row.outcome);
  }
}
