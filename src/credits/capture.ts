/**
 * How a finished generation is charged. Contract (guarantee 9 of DESIGN.md):
 *  - the hold is released and the actual cost charged in the same step;
 *  - the cost is charged in full, first from credits no other generation holds, included (the earliest
 *    to expire) before prepaid;
 *  - what those cannot cover is recorded: as overage (billed at period end) when the tier allows it,
 *    otherwise as written off. It is never silently dropped.
 * Never drawing on other generations' holds keeps `reserved <= balance`, which the database also
 * enforces with a CHECK.
 *
 * The SQL function credits_capture (src/db/functions/credits_capture.sql) applies this rule under the
 * balance row lock; test/credits/rules-agree.test.ts proves the two agree.
 */
export interface CaptureInput {
  includedRemaining: number;
  prepaidBalance: number;
  /** All holds on the org, including this generation's. */
  reservedCredits: number;
  hold: number;
  actual: number;
  overageAllowed: boolean;
}

export interface CapturePlan {
  fromIncluded: number;
  fromPrepaid: number;
  overage: number;
  writtenOff: number;
  /** The part of the hold that was not needed (0 when the cost exceeded the hold). */
  released: number;
}

export function planCapture(i: CaptureInput): CapturePlan {
  const unheld = i.includedRemaining + i.prepaidBalance - (i.reservedCredits - i.hold);
  const covered = Math.min(i.actual, unheld);
  const fromIncluded = Math.min(covered, i.includedRemaining);
  const shortfall = i.actual - covered;
  return {
    fromIncluded,
    fromPrepaid: covered - fromIncluded,
    overage: i.overageAllowed ? shortfall : 0,
    writtenOff: i.overageAllowed ? 0 : shortfall,
    released: Math.max(0, i.hold - i.actual),
  };
}
