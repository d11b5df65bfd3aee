/**
 * How a finished generation is charged. Contract (guarantee 9 of DESIGN.md):
 *  - the hold is released and the actual cost charged in the same step;
 *  - the cost is charged in full, first from credits no other generation holds, earliest expiry first:
 *    credits that already expired while held (pendingExpiry, src/credits/expiry.ts), then rolled-over
 *    credits (the grants by expiry), then this period's included credits, then prepaid;
 *  - what those cannot cover is recorded: as overage (billed at period end) when the tier allows it,
 *    otherwise as written off. It is never silently dropped;
 *  - pending credits stay only while holds cover them: those the remaining holds no longer cover once
 *    this hold ends expire now (pendingExpired, a ledger row of their own).
 * Never drawing on other generations' holds keeps `reserved <= balance`, which the database also
 * enforces with a CHECK.
 *
 * Rolled-over first although this period's included credits may, near a short month's end, expire a
 * few days earlier: unused included credits roll over at the close (up to one allowance), rolled-over
 * ones never do, so the grants are the first credits lost.
 *
 * The SQL function credits_capture (src/db/functions/credits_capture.sql) applies this rule under the
 * balance row lock; test/credits/rules-agree.test.ts proves the two agree.
 */
export interface CaptureInput {
  /** This period's included credits left (credit_balances.included_remaining). */
  includedRemaining: number;
  rolledOverRemaining: number;
  pendingExpiry: number;
  prepaidBalance: number;
  /** All holds on the org, including this generation's. */
  reservedCredits: number;
  hold: number;
  actual: number;
  overageAllowed: boolean;
}

export interface CapturePlan {
  fromPendingExpiry: number;
  fromRolledOver: number;
  fromIncluded: number;
  fromPrepaid: number;
  overage: number;
  writtenOff: number;
  /** The part of the hold that was not needed (0 when the cost exceeded the hold). */
  released: number;
  /** Credits that expired while held and that no hold covers once this one ends: they leave now. */
  pendingExpired: number;
}

export function planCapture(i: CaptureInput): CapturePlan {
  const others = i.reservedCredits - i.hold;
  const unheld = i.pendingExpiry + i.rolledOverRemaining + i.includedRemaining + i.prepaidBalance - others;
  const covered = Math.min(i.actual, unheld);
  const fromPendingExpiry = Math.min(covered, i.pendingExpiry);
  const fromRolledOver = Math.min(covered - fromPendingExpiry, i.rolledOverRemaining);
  const fromIncluded = Math.min(covered - fromPendingExpiry - fromRolledOver, i.includedRemaining);
  const shortfall = i.actual - covered;
  return {
    fromPendingExpiry,
    fromRolledOver,
    fromIncluded,
    fromPrepaid: covered - fromPendingExpiry - fromRolledOver - fromIncluded,
    overage: i.overageAllowed ? shortfall : 0,
    writtenOff: i.overageAllowed ? 0 : shortfall,
    released: Math.max(0, i.hold - i.actual),
    pendingExpired: Math.max(0, i.pendingExpiry - fromPendingExpiry - others),
  };
}
