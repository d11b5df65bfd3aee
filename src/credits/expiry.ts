/**
 * What happens to included credits when their time comes (DESIGN.md guarantee 9 and issue 9, "holds
 * across the boundary"): credits held by running generations stay theirs. Holds are counted as sitting in
 * the credits that expire first, so of the credits expiring at a given moment, as many as the holds not
 * already backed by pending credits stay in the balance as `pendingExpiry`: a capture spends them first,
 * and a hold that ends without using them lets them expire then. Only the rest leaves the balance now.
 * An expiry therefore never takes held credits and never breaks `reserved <= balance`.
 *
 * Pure rules, applied by the SQL functions credits_close_period, credits_expire_grants,
 * credits_set_allowance and credits_revoke_included under the balance row lock;
 * test/credits/rules-agree.test.ts proves credits_close_period agrees with planPeriodClose.
 */
export interface HoldsBeforeExpiry {
  reservedCredits: number;
  /** Credits that already expired while held: they back that much of the holds already. */
  pendingExpiry: number;
}

export interface ExpirySplit {
  /** Stays in the balance as pending expiry. */
  held: number;
  /** Leaves the balance now. */
  expired: number;
}

export function splitExpiry(expiring: number, holds: HoldsBeforeExpiry): ExpirySplit {
  const held = Math.min(expiring, holds.reservedCredits - holds.pendingExpiry);
  return { held, expired: expiring - held };
}

export interface PeriodCloseInput extends HoldsBeforeExpiry {
  /** This period's included credits left at the close. */
  includedRemaining: number;
  /** What the rolled-over grants whose expiry is at or before the close still have. */
  dueGrants: number;
  rolloverDays: number;
  rolloverCap: number;
}

export interface PeriodClosePlan extends ExpirySplit {
  /** Carried into the next period as a grant expiring rolloverDays after the close. */
  rolledOver: number;
  /** The rolled-over credits among `expired`. */
  rolloverExpired: number;
}

/**
 * A close: unused included credits roll over up to the cap (none with 0 days: a plain reset), the rest
 * and the due grants expire. The due grants expired first, so the holds sit in them first.
 */
export function planPeriodClose(i: PeriodCloseInput): PeriodClosePlan {
  const rolledOver = i.rolloverDays > 0 ? Math.min(i.includedRemaining, i.rolloverCap) : 0;
  const { held, expired } = splitExpiry(i.dueGrants + i.includedRemaining - rolledOver, i);
  return { rolledOver, held, expired, rolloverExpired: i.dueGrants - Math.min(held, i.dueGrants) };
}

/**
 * A downgrade now: the allowance drops and this period's included credits are clamped to what the new
 * allowance leaves after what the period already used of its allowance (never below 0). An upgrade only
 * adds the difference. Returns the credits removed (split as any expiry) and added.
 */
export function planAllowanceChange(i: {
  allowance: number;
  includedThisPeriod: number;
  includedRemaining: number;
}): { added: number; removed: number } {
  if (i.allowance >= i.includedThisPeriod) return { added: i.allowance - i.includedThisPeriod, removed: 0 };
  const used = Math.max(0, i.includedThisPeriod - i.includedRemaining);
  return { added: 0, removed: Math.max(0, i.includedRemaining - Math.max(0, i.allowance - used)) };
}

/** A grant's expiry: whole days of 24 h after the close that made it, as the SQL adds them. */
export function rolloverExpiry(closedAt: Date, rolloverDays: number): Date {
  return new Date(closedAt.getTime() + rolloverDays * 86_400_000);
}
