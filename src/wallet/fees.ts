import { mulDivRound } from '../billing/rounding';
import { requireBps, requireCents } from './amounts';

/** Seed 001: `platform_fee_percent`, 5% by default (DESIGN.md §7), stored per org in basis points. */
export const DEFAULT_PLATFORM_FEE_BPS = 500;

/**
 * The platform fee on one platform bill: spend × bps / 10,000, rounded to the nearest cent with halves
 * up (0.5¢ → 1¢). It is billing's one rounding rule (src/billing/rounding.ts, halves away from zero;
 * spend is never negative here), computed in integers so that it is the same on every machine.
 *
 * The database applies the same rule when it records a bill (src/db/functions/wallet_fee_cents.sql,
 * against the bps of the locked wallet row); test/wallet/fees.test.ts holds the two to each other.
 */
export function platformFeeCents(spendCents: number, feeBps: number): number {
  return mulDivRound(
    requireCents('spendCents', spendCents, { min: 0 }),
    requireBps('feeBps', feeBps),
    10_000,
  );
}
