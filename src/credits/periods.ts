import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { DomainError, invalid, notFound } from '../errors';
import { requireCredits, requireNonEmpty } from './amounts';
import { allowanceChangeKey, includedRevokeKey, periodCloseKey, rolloverExpiryKey } from './ids';
import { single, unexpected } from './ledger';
import { toCreditsSnapshot, type CreditsSnapshot, type SnapshotRow } from './snapshot';

/**
 * The ledger side of billing periods: closing a credit period, expiring rolled-over credits, changing or
 * revoking the included allowance. Each is one call of a PL/pgSQL function (src/db/functions/), so one
 * transaction with one ledger row, idempotent on a business key of src/credits/ids.ts. Business time
 * (`at`) always comes from the caller (the org-billing workflow), never from a clock here or in the
 * database. How much to grant and roll over is the caller's too (the billing rules of src/billing/);
 * how held credits survive an expiry is src/credits/expiry.ts. Input is validated here first, so bad
 * input never reaches the database.
 */

/** A tier's rollover policy: unused included credits carried over for `days` (0: none), at most `cap`. */
export interface RolloverPolicy {
  days: number;
  cap: number;
}

/** The longest rollover accepted: ten years, far beyond any plan, small enough to be obviously a bug. */
export const MAX_ROLLOVER_DAYS = 3650;

/** A date as a Date or as the ISO string Temporal turns it into between a workflow and its activities. */
export type Instant = Date | string;

export interface ClosePeriodInput {
  orgId: string;
  /** Start of the period being closed: it must be the open one (currentPeriod.start). */
  periodStart: Instant;
  /** Business time of the close: the end of this period and the start of the next. */
  at: Instant;
  nextPeriodEnd: Instant;
  /** The next period's included credits (0 for a tier without, or a paused or canceled subscription). */
  allowance: number;
  rollover: RolloverPolicy;
}

/** A closed credit period (credit_periods), in the simulator's terms. */
export interface PeriodSummary {
  organizationId: string;
  start: string;
  end: string;
  tier: string;
  /** The allowance in force at the close (after any upgrade or downgrade now). */
  includedGranted: number;
  usedCredits: number;
  overageCredits: number;
  writtenOffCredits: number;
  /** The rollover grant the previous close made. */
  rolledOverIn: number;
  /** Rolled-over credits that expired unused during the period or at its close. */
  rolloverExpired: number;
  /** Every credit that expired during the period or at its close (rolloverExpired included). */
  expiredCredits: number;
  /** The rollover grant this close made for the next period. */
  rolledOverOut: number;
  /** Expiring credits running generations held at the close: pending, they expire if released unused. */
  heldAtClose: number;
  next: { end: string; allowance: number };
  rollover: RolloverPolicy;
}

export interface ClosePeriodResult {
  duplicate: boolean;
  period: PeriodSummary;
  credits: CreditsSnapshot;
}

export async function closeCreditPeriod(db: Db, input: ClosePeriodInput): Promise<ClosePeriodResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const periodStart = requireInstant('periodStart', input.periodStart);
  const at = requireInstant('at', input.at);
  const nextPeriodEnd = requireInstant('nextPeriodEnd', input.nextPeriodEnd);
  if (at <= periodStart) throw invalid('at', 'must be after periodStart');
  if (nextPeriodEnd <= at) throw invalid('nextPeriodEnd', 'must be after at');
  const allowance = requireCredits('allowance', input.allowance, { min: 0 });
  const rollover = requirePolicy(input.rollover);
  const { rows } = await sql<{ outcome: string; period: PeriodRow | null; snapshot: SnapshotRow | null }>`
    SELECT outcome, period, snapshot FROM credits_close_period(${orgId}, ${periodStart}, ${at},
      ${nextPeriodEnd}, ${allowance}, ${rollover.days}, ${rollover.cap}, ${periodCloseKey(orgId, periodStart)})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'closed':
    case 'duplicate':
      return {
        duplicate: row.outcome === 'duplicate',
        period: toPeriodSummary(row.period!),
        credits: toCreditsSnapshot(row.snapshot!),
      };
    case 'conflict':
      throw keyReused(periodCloseKey(orgId, periodStart), 'a close of this period with other arguments', {
        period: toPeriodSummary(row.period!),
      });
    case 'period_mismatch': {
      const open = toCreditsSnapshot(row.snapshot!).currentPeriod.start;
      throw new DomainError(
        'VALIDATION_FAILED',
        `periodStart: ${periodStart.toISOString()} is not the open credit period (it started ${open})`,
        { field: 'periodStart', currentPeriodStart: open },
      );
    }
    case 'org_not_found':
      throw notFound('organization', orgId);
    default:
      throw unexpected('credits_close_period', row.outcome);
  }
}

export interface ExpiryResult {
  duplicate: boolean;
  /** Credits that left the balance. */
  expiredCredits: number;
  /** Credits whose time came while generations held them: pending until those holds end. */
  heldCredits: number;
  credits: CreditsSnapshot;
}

/**
 * Expires the rolled-over grants due at `at` (a timer at rolloverExpiresAt). Nothing due is an answer
 * with zeros, not an error: a close may have expired them already.
 */
export async function expireRolloverGrants(
  db: Db,
  input: { orgId: string; at: Instant },
): Promise<ExpiryResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const at = requireInstant('at', input.at);
  const key = rolloverExpiryKey(orgId, at);
  const { rows } = await sql<{ outcome: string; detail: Counts | null; snapshot: SnapshotRow | null }>`
    SELECT outcome, detail, snapshot FROM credits_expire_grants(${orgId}, ${at}, ${key})
  `.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'expired':
    case 'duplicate':
    case 'nothing_due':
      return {
        duplicate: row.outcome === 'duplicate',
        expiredCredits: row.detail!.expired,
        heldCredits: row.detail!.held,
        credits: toCreditsSnapshot(row.snapshot!),
      };
    case 'conflict':
      throw keyReused(key, 'another operation');
    case 'org_not_found':
      throw notFound('organization', orgId);
    default:
      throw unexpected('credits_expire_grants', row.outcome);
  }
}

export interface AllowanceChangeInput {
  orgId: string;
  /** The new allowance of the current period. */
  allowance: number;
  /** The caller's id of the change (e.g. the subscription change it applies): the business key. */
  changeId: string;
  at: Instant;
}

export interface AllowanceChangeResult extends ExpiryResult {
  previousAllowance: number;
  allowance: number;
  /** Included credits added by an upgrade. */
  addedCredits: number;
}

/**
 * Upgrade (allowance up): the difference is granted now. Downgrade now (allowance down): this period's
 * included credits are clamped to the new allowance less what the period used of its allowance, never
 * taking what running generations hold (src/credits/expiry.ts).
 */
export async function setIncludedAllowance(
  db: Db,
  input: AllowanceChangeInput,
): Promise<AllowanceChangeResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const allowance = requireCredits('allowance', input.allowance, { min: 0 });
  const changeId = requireNonEmpty('changeId', input.changeId);
  const at = requireInstant('at', input.at);
  const key = allowanceChangeKey(orgId, changeId);
  const { rows } = await sql<{
    outcome: string;
    detail: (Counts & { allowance: number; previousAllowance: number; added: number }) | null;
    snapshot: SnapshotRow | null;
  }>`SELECT outcome, detail, snapshot FROM credits_set_allowance(${orgId}, ${allowance}, ${key}, ${at})`.execute(
    db,
  );
  const row = single(rows);
  switch (row.outcome) {
    case 'changed':
    case 'duplicate': {
      const d = row.detail!;
      return {
        duplicate: row.outcome === 'duplicate',
        previousAllowance: d.previousAllowance,
        allowance: d.allowance,
        addedCredits: d.added,
        expiredCredits: d.expired,
        heldCredits: d.held,
        credits: toCreditsSnapshot(row.snapshot!),
      };
    }
    case 'conflict':
      throw keyReused(key, 'another allowance or time');
    case 'before_period':
      throw beforePeriod(at, row.snapshot!);
    case 'org_not_found':
      throw notFound('organization', orgId);
    default:
      throw unexpected('credits_set_allowance', row.outcome);
  }
}

export interface RevokeResult extends ExpiryResult {
  previousAllowance: number;
  /** The rolled-over credits among expiredCredits. */
  rolloverExpired: number;
}

/**
 * No included credits while paused or canceled: this period's and the rolled-over ones go (prepaid
 * credits stay), except what running generations hold, which expires when released unused.
 */
export async function revokeIncludedCredits(
  db: Db,
  input: { orgId: string; changeId: string; at: Instant },
): Promise<RevokeResult> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const changeId = requireNonEmpty('changeId', input.changeId);
  const at = requireInstant('at', input.at);
  const key = includedRevokeKey(orgId, changeId);
  const { rows } = await sql<{
    outcome: string;
    detail: (Counts & { previousAllowance: number; rolloverExpired: number }) | null;
    snapshot: SnapshotRow | null;
  }>`SELECT outcome, detail, snapshot FROM credits_revoke_included(${orgId}, ${key}, ${at})`.execute(db);
  const row = single(rows);
  switch (row.outcome) {
    case 'revoked':
    case 'duplicate': {
      const d = row.detail!;
      return {
        duplicate: row.outcome === 'duplicate',
        previousAllowance: d.previousAllowance,
        expiredCredits: d.expired,
        heldCredits: d.held,
        rolloverExpired: d.rolloverExpired,
        credits: toCreditsSnapshot(row.snapshot!),
      };
    }
    case 'conflict':
      throw keyReused(key, 'another time');
    case 'before_period':
      throw beforePeriod(at, row.snapshot!);
    case 'org_not_found':
      throw notFound('organization', orgId);
    default:
      throw unexpected('credits_revoke_included', row.outcome);
  }
}

/** The org's closed credit periods, oldest first (the simulator's and the invoices' periods). */
export async function listCreditPeriods(db: Db, orgId: string): Promise<PeriodSummary[]> {
  const rows = await db
    .selectFrom('credit_periods')
    .selectAll()
    .where('org_id', '=', requireNonEmpty('orgId', orgId))
    .orderBy('period_start')
    .execute();
  return rows.map(toPeriodSummary);
}

interface Counts {
  expired: number;
  held: number;
}

/** credit_period_json (src/db/functions/credit_period_json.sql), or the credit_periods row itself. */
interface PeriodRow {
  org_id: string;
  period_start: string | Date;
  period_end: string | Date;
  tier_id: string;
  included_granted: number;
  used: number;
  overage: number;
  written_off: number;
  rolled_over_in: number;
  rollover_expired: number;
  expired: number;
  rolled_over_out: number;
  held_at_close: number;
  next_period_end: string | Date;
  next_allowance: number;
  rollover_days: number;
  rollover_cap: number;
}

const iso = (value: string | Date): string => new Date(value).toISOString();

function toPeriodSummary(p: PeriodRow): PeriodSummary {
  return {
    organizationId: p.org_id,
    start: iso(p.period_start),
    end: iso(p.period_end),
    tier: p.tier_id,
    includedGranted: p.included_granted,
    usedCredits: p.used,
    overageCredits: p.overage,
    writtenOffCredits: p.written_off,
    rolledOverIn: p.rolled_over_in,
    rolloverExpired: p.rollover_expired,
    expiredCredits: p.expired,
    rolledOverOut: p.rolled_over_out,
    heldAtClose: p.held_at_close,
    next: { end: iso(p.next_period_end), allowance: p.next_allowance },
    rollover: { days: p.rollover_days, cap: p.rollover_cap },
  };
}

function requireInstant(field: string, value: unknown): Date {
  const date =
    value instanceof Date ? value : typeof value === 'string' && value !== '' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalid(field, 'must be a date-time');
  return date;
}

function requirePolicy(value: unknown): RolloverPolicy {
  const policy = (value ?? {}) as Partial<RolloverPolicy>;
  const days = policy.days;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_ROLLOVER_DAYS) {
    throw invalid('rollover.days', `must be a whole number of days from 0 to ${MAX_ROLLOVER_DAYS}`);
  }
  return { days, cap: requireCredits('rollover.cap', policy.cap, { min: 0 }) };
}

function keyReused(key: string, what: string, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_REUSED', `ledger key ${key} was already used for ${what}`, {
    key,
    ...extra,
  });
}

function beforePeriod(at: Date, snapshot: SnapshotRow): DomainError {
  const open = toCreditsSnapshot(snapshot).currentPeriod.start;
  return new DomainError(
    'VALIDATION_FAILED',
    `at: ${at.toISOString()} is before the open credit period (it started ${open})`,
    { field: 'at', currentPeriodStart: open },
  );
}
