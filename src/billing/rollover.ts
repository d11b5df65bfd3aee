import { requireValidDate } from './period';
import { tierFacts, type TierId } from './tiers';

/**
 * What happens to unused included credits when a credit period closes (DESIGN.md §7): a per-tier
 * policy; paid tiers keep them for 30 days (seed 003 "unused credits roll over for 30 days"), capped at
 * one allowance; free keeps none (seed 000's plain reset). The days come from the catalog's
 * rollover_days; the cap is the tier's allowance.
 */
export interface RolloverPolicy {
  /** 0: a plain reset, nothing rolls over. */
  rolloverDays: number;
  rolloverCap: number;
}

export function rolloverPolicy(tier: TierId): RolloverPolicy {
  const facts = tierFacts(tier);
  return {
    rolloverDays: facts.rolloverDays,
    rolloverCap: facts.rolloverDays > 0 ? facts.includedCredits : 0,
  };
}

export interface RolloverResult {
  rolledOver: number;
  expired: number;
  /** When the rolled-over grant expires; null when nothing rolled over. */
  expiresAt: Date | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Splits this period's unused included credits at close into what rolls over (up to the cap) and what
 * expires. Only this period's allowance is passed in: credits that already rolled over never roll
 * again, they expire at their own time. Credits still held by running generations are the ledger's to
 * keep out of `unusedIncluded`; they expire when released. Days are 24-hour UTC days from the close.
 */
export function rolloverAtClose(
  unusedIncluded: number,
  policy: RolloverPolicy,
  closeAt: Date,
): RolloverResult {
  requireValidDate('closeAt', closeAt);
  if (!Number.isSafeInteger(unusedIncluded) || unusedIncluded < 0) {
    throw new RangeError('unusedIncluded: must be a non-negative integer');
  }
  if (!Number.isInteger(policy.rolloverDays) || policy.rolloverDays < 0) {
    throw new RangeError('rolloverDays: must be a non-negative integer');
  }
  if (!Number.isSafeInteger(policy.rolloverCap) || policy.rolloverCap < 0) {
    throw new RangeError('rolloverCap: must be a non-negative integer');
  }
  const rolledOver = policy.rolloverDays > 0 ? Math.min(unusedIncluded, policy.rolloverCap) : 0;
  return {
    rolledOver,
    expired: unusedIncluded - rolledOver,
    expiresAt: rolledOver > 0 ? new Date(closeAt.getTime() + policy.rolloverDays * DAY_MS) : null,
  };
}
