import { GENERATION_FORMATS, type GenerationFormat } from './formats';

/** The GET /v1/credits shape (seeds/004_*), field for field. */
export interface CreditsSnapshot {
  organizationId: string;
  balance: number;
  available: number;
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
}

/** The snapshot as the ledger functions return it (credit_snapshot_json in the first migration). */
export interface SnapshotRow {
  org_id: string;
  tier_id: string;
  billing_status: string;
  included_remaining: number;
  prepaid_balance: number;
  reserved_credits: number;
  included_this_period: number;
  used_this_period: number;
  period_start: string | Date;
  period_end: string | Date;
  estimated_credits_per_format: Record<string, number>;
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

const iso = (v: string | Date): string => new Date(v).toISOString();

export function toCreditsSnapshot(row: SnapshotRow): CreditsSnapshot {
  const includedRemaining = exact('included_remaining', row.included_remaining);
  const prepaidBalance = exact('prepaid_balance', row.prepaid_balance);
  const reservedCredits = exact('reserved_credits', row.reserved_credits);
  const usedThisPeriod = exact('used_this_period', row.used_this_period);
  const estimates = Object.fromEntries(
    GENERATION_FORMATS.map((f) => [f, exact(`estimate ${f}`, row.estimated_credits_per_format[f])]),
  ) as Record<GenerationFormat, number>;
  return {
    organizationId: row.org_id,
    ...creditTotals(includedRemaining, prepaidBalance, reservedCredits),
    includedRemaining,
    prepaidBalance,
    reservedCredits,
    includedThisPeriod: exact('included_this_period', row.included_this_period),
    usedThisPeriod,
    currentPeriod: { start: iso(row.period_start), end: iso(row.period_end), usedCredits: usedThisPeriod },
    subscriptionTier: row.tier_id,
    billingStatus: row.billing_status,
    estimatedCreditsPerFormat: estimates,
    // No ingest call debits credits today (seeds/004_*); the flag flips before billing ever begins.
    ingestCostsBilled: { github: false, website: false, appstore: false },
  };
}
