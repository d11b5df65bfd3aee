import type { Selectable } from 'kysely';
import type { CreditBalancesTable, OrganizationsTable } from '../db/schema';
import { GENERATION_FORMATS, type GenerationFormat } from './formats';

/**
 * The GET /v1/credits shape (seeds/004_*), field for field, plus two documented extensions
 * (rolledOverCredits, rolloverExpiresAt) that change no seed field.
 */
export interface CreditsSnapshot {
  organizationId: string;
  balance: number;
  available: number;
  /**
   * Every included credit still in the balance: this period's, the rolled-over ones (rolledOverCredits),
   * and those that expired while running generations held them (they leave when released unused), so
   * that balance = includedRemaining + prepaidBalance still holds.
   */
  includedRemaining: number;
  prepaidBalance: number;
  reservedCredits: number;
  includedThisPeriod: number;
  usedThisPeriod: number;
  currentPeriod: { start: string; end: string; usedCredits: number };
  subscriptionTier: string;
  billingStatus: string;
  estimatedCreditsPerFormat: Record<GenerationFormat, number>;
  ingestCostsBilled: { github: boolean; website: boolean; appstore: boolean };
  /** Extension: unused included credits of earlier periods, counted in includedRemaining, spent first. */
  rolledOverCredits: number;
  /** Extension: when the next of them expire (ISO 8601), or null when there are none. */
  rolloverExpiresAt: string | null;
}

/**
 * The snapshot as the ledger functions return it (src/db/functions/credit_snapshot_json.sql): the
 * balance columns, with timestamps as JSON text, plus the org's tier and the format estimates.
 */
export interface SnapshotRow extends Omit<BalanceRow, 'period_start' | 'period_end' | 'rollover_expires_at'> {
  org_id: string;
  tier_id: string;
  period_start: string | Date;
  period_end: string | Date;
  rollover_expires_at: string | Date | null;
  estimated_credits_per_format: Record<string, number>;
}

/**
 * An org's credit_balances row with its billing status, read as plain columns: with the API key in one
 * statement for GET /v1/credits (src/auth/api-keys.ts), where building the jsonb of credit_snapshot()
 * per request would cost PostgreSQL more than the read itself.
 */
export type BalanceRow = Pick<Selectable<OrganizationsTable>, (typeof ORG_FIELDS)[number]> &
  Pick<Selectable<CreditBalancesTable>, (typeof BALANCE_FIELDS)[number]>;

// The one list of a BalanceRow's fields: its type, the columns selected and the row picked all follow it.
const ORG_FIELDS = ['billing_status'] as const;
const BALANCE_FIELDS = [
  'included_remaining',
  'prepaid_balance',
  'reserved_credits',
  'included_this_period',
  'used_this_period',
  'rolled_over_remaining',
  'pending_expiry',
  'rollover_expires_at',
  'period_start',
  'period_end',
] as const;

/** BalanceRow's columns, for a query over `organizations o LEFT JOIN credit_balances b ON b.org_id = o.id`. */
export const BALANCE_COLUMNS = [
  ...ORG_FIELDS.map((f) => `o.${f}`),
  ...BALANCE_FIELDS.map((f) => `b.${f}`),
].join(', ');

export type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The BalanceRow among a row's columns; undefined when the LEFT JOIN found no balance row. */
export function balanceRowOf(row: Nullable<BalanceRow>): BalanceRow | undefined {
  if (row.period_start === null) return undefined;
  const picked: Record<string, unknown> = {};
  for (const f of ORG_FIELDS) picked[f] = row[f];
  for (const f of BALANCE_FIELDS) picked[f] = row[f];
  return picked as BalanceRow;
}

/**
 * The snapshot of a BalanceRow, mapped as toCreditsSnapshot maps the ledger functions' jsonb. `estimates`
 * as exactEstimates() returns them: checked once, then shared by every snapshot (never mutated).
 */
export function snapshotOfBalance(
  org: { orgId: string; tier: string },
  balance: BalanceRow,
  estimates: Readonly<Record<GenerationFormat, number>>,
): CreditsSnapshot {
  return snapshotOf(org.orgId, org.tier, balance, estimates);
}

/** balance = includedRemaining + prepaidBalance; available = max(0, balance - reservedCredits). */
export function creditTotals(includedRemaining: number, prepaidBalance: number, reservedCredits: number) {
  const balance = includedRemaining + prepaidBalance;
  return { balance, available: Math.max(0, balance - reservedCredits) };
}

function exact(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RangeError(`${field} is not an exact integer: ${String(value)}`);
  }
  return value;
}

const iso = (v: string | Date): string => (v instanceof Date ? v : new Date(v)).toISOString();

/** The estimates of the reference's formats, each an exact integer (anything else in `raw` is left out). */
export function exactEstimates(raw: Record<string, unknown>): Record<GenerationFormat, number> {
  return Object.fromEntries(GENERATION_FORMATS.map((f) => [f, exact(`estimate ${f}`, raw[f])])) as Record<
    GenerationFormat,
    number
  >;
}

export function toCreditsSnapshot(row: SnapshotRow): CreditsSnapshot {
  return snapshotOf(row.org_id, row.tier_id, row, exactEstimates(row.estimated_credits_per_format));
}

function snapshotOf(
  orgId: string,
  tier: string,
  row: Omit<SnapshotRow, 'org_id' | 'tier_id' | 'estimated_credits_per_format'>,
  estimates: Readonly<Record<GenerationFormat, number>>,
): CreditsSnapshot {
  const rolledOverCredits = exact('rolled_over_remaining', row.rolled_over_remaining);
  const includedRemaining =
    exact('included_remaining', row.included_remaining) +
    rolledOverCredits +
    exact('pending_expiry', row.pending_expiry);
  const prepaidBalance = exact('prepaid_balance', row.prepaid_balance);
  const reservedCredits = exact('reserved_credits', row.reserved_credits);
  const usedThisPeriod = exact('used_this_period', row.used_this_period);
  const { balance, available } = creditTotals(includedRemaining, prepaidBalance, reservedCredits);
  return {
    organizationId: orgId,
    balance,
    available,
    includedRemaining,
    prepaidBalance,
    reservedCredits,
    includedThisPeriod: exact('included_this_period', row.included_this_period),
    usedThisPeriod,
    currentPeriod: { start: iso(row.period_start), end: iso(row.period_end), usedCredits: usedThisPeriod },
    subscriptionTier: tier,
    billingStatus: row.billing_status,
    estimatedCreditsPerFormat: estimates,
    // No ingest call debits credits today (seeds/004_*); the flag flips before billing ever begins.
    ingestCostsBilled: { github: false, website: false, appstore: false },
    rolledOverCredits,
    rolloverExpiresAt: row.rollover_expires_at === null ? null : iso(row.rollover_expires_at),
  };
}
