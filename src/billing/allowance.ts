/**
 * What a plan change made now does to this credit period's included credits.
 *
 * - A larger allowance (an upgrade): the new credits are granted right away (seed 003 "the new credits
 *   are granted right away"): includedThisPeriod becomes the new allowance and the remaining included
 *   credits grow by the difference.
 * - A smaller allowance (a downgrade with `effective: "now"`): this period's included credits are
 *   clamped to the new allowance minus what was already used from it, but never below what running
 *   generations hold and only these credits can back (the ledger's CHECK reserved <= balance), and
 *   never above what is left. Rolled-over and prepaid credits are untouched.
 *
 * Numbers come from the ledger; one that breaks the ledger's own invariants is a bug (RangeError).
 */
export interface IncludedCredits {
  /** This period's allowance (after any earlier upgrade in the period). */
  includedThisPeriod: number;
  /** What is left of this period's allowance (rolled-over credits excluded). */
  periodRemaining: number;
  rolledOverRemaining: number;
  prepaidBalance: number;
  reservedCredits: number;
}

export interface IncludedAfterChange {
  includedThisPeriod: number;
  periodRemaining: number;
  /** Credits added to this period's allowance (upgrade). */
  granted: number;
  /** Credits taken from it (downgrade now); they leave with their own ledger row. */
  clamped: number;
}

function check(c: IncludedCredits, newAllowance: number): void {
  for (const [name, v] of Object.entries({ ...c, newAllowance })) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name}: must be a non-negative integer`);
  }
  if (c.periodRemaining > c.includedThisPeriod) {
    throw new RangeError('periodRemaining: exceeds includedThisPeriod');
  }
  if (c.reservedCredits > c.periodRemaining + c.rolledOverRemaining + c.prepaidBalance) {
    throw new RangeError('reservedCredits: exceeds the balance');
  }
}

export function includedAfterChange(c: IncludedCredits, newAllowance: number): IncludedAfterChange {
  check(c, newAllowance);
  if (newAllowance >= c.includedThisPeriod) {
    const granted = newAllowance - c.includedThisPeriod;
    return {
      includedThisPeriod: newAllowance,
      periodRemaining: c.periodRemaining + granted,
      granted,
      clamped: 0,
    };
  }
  const used = c.includedThisPeriod - c.periodRemaining;
  const target = Math.max(0, newAllowance - used);
  // Holds beyond what rolled-over and prepaid credits cover must stay backed by this period's credits.
  const heldHere = Math.max(0, c.reservedCredits - c.rolledOverRemaining - c.prepaidBalance);
  const periodRemaining = Math.min(c.periodRemaining, Math.max(target, heldHere));
  return {
    includedThisPeriod: newAllowance,
    periodRemaining,
    granted: 0,
    clamped: c.periodRemaining - periodRemaining,
  };
}
