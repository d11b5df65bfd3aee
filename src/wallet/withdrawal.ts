import { mulDivRound } from '../billing/rounding';
import { DomainError } from '../errors';
import { requireCents } from './amounts';

/**
 * A withdrawal (seed 001: "withdrawable to original payment method, less processor fees"): settled
 * balance goes back as refunds of the org's card top-up charges, newest first, one refund leg per charge.
 *
 * The processor fee rule: Stripe keeps its card fee when a charge is refunded, so each leg costs the
 * wallet its refund plus that fee on the refunded amount: 2.9% (half-up to the cent, billing's one
 * rounding rule) + 30¢. A withdrawal of W cents takes W from the wallet and returns W minus the legs'
 * fees to the cards. Never more than the settled balance (pending money is not the org's yet), never
 * more back to a charge than it charged (earlier refunds included). ACH and wire funds are not returned
 * here (they have no card to go back to): what the cards cannot take stays in the wallet as
 * `unrefundedCents` for finance. A leg that would return less than MIN_REFUND_CENTS is not made: its fee
 * would eat most of it.
 */
export const CARD_REFUND_FEE = { bps: 290, fixedCents: 30 } as const;
export const MIN_REFUND_CENTS = 100;

export const refundFeeCents = (refundCents: number): number =>
  mulDivRound(refundCents, CARD_REFUND_FEE.bps, 10_000) + CARD_REFUND_FEE.fixedCents;

export interface RefundableCharge {
  topUpId: number;
  amountCents: number;
  /** Already refunded or being refunded (legs not failed). */
  refundedCents: number;
  startedAt: Date;
}

export interface WithdrawalInput {
  settledBalanceCents: number;
  /** What leaves the wallet (refunds + fees); the whole settled balance when absent. */
  requestedCents?: number;
  charges: readonly RefundableCharge[];
}

export interface WithdrawalLeg {
  topUpId: number;
  /** Back to the card. */
  refundCents: number;
  /** Kept for the processor. */
  feeCents: number;
}

export interface WithdrawalPlan {
  legs: WithdrawalLeg[];
  /** Debited from the wallet: refunds + fees, at most the request. */
  debitedCents: number;
  refundedCents: number;
  feeCents: number;
  /** Of the request, what no card charge could take back. */
  unrefundedCents: number;
}

export function planWithdrawal(input: WithdrawalInput): WithdrawalPlan {
  const settled = Math.max(0, input.settledBalanceCents);
  const requested =
    input.requestedCents === undefined ? settled : requireCents('amountCents', input.requestedCents);
  if (requested > settled) {
    throw new DomainError(
      'WALLET_INSUFFICIENT_BALANCE',
      `a withdrawal of ${requested} cents is more than the settled balance of ${settled} cents`,
      { requestedCents: requested, settledBalanceCents: settled },
    );
  }
  const newestFirst = [...input.charges].sort(
    (a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.topUpId - a.topUpId,
  );
  const legs: WithdrawalLeg[] = [];
  let left = requested;
  for (const charge of newestFirst) {
    const refund = largestRefund(Math.min(charge.amountCents - charge.refundedCents, left), left);
    if (refund < MIN_REFUND_CENTS) continue;
    const fee = refundFeeCents(refund);
    legs.push({ topUpId: charge.topUpId, refundCents: refund, feeCents: fee });
    left -= refund + fee;
  }
  const refunded = legs.reduce((s, l) => s + l.refundCents, 0);
  const fees = legs.reduce((s, l) => s + l.feeCents, 0);
  return {
    legs,
    debitedCents: refunded + fees,
    refundedCents: refunded,
    feeCents: fees,
    unrefundedCents: requested - refunded - fees,
  };
}

/** The largest refund r ≤ max with r + fee(r) ≤ budget (0 if none): r + fee(r) never decreases in r. */
function largestRefund(max: number, budget: number): number {
  let lo = 0;
  let hi = Math.max(0, max);
  if (hi + refundFeeCents(hi) <= budget) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid + refundFeeCents(mid) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
}
