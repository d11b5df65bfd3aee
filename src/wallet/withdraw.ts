import { requireNonEmpty } from '../credits/amounts';
import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { MAX_CENTS_PER_OPERATION, requireCents } from './amounts';
import { requireInstant, type Instant } from './days';
import { withdrawalKey } from './ids';
import { startWithdrawalLeg } from './ledger';
import { withdrawalLegsOf } from './queries';
import type { WithdrawalLegRecord } from './records';
import { getWallet, refundableCharges } from './wallets';
import { planWithdrawal, type RefundableCharge } from './withdrawal';

export interface WithdrawalRequest {
  orgId: string;
  /** The request's Idempotency-Key: names the withdrawal and, with each charge, its refund legs. */
  withdrawalId: string;
  /** What leaves the wallet (refunds + fees); the whole settled balance when absent. */
  amountCents?: number;
  at: Instant;
}

export interface WithdrawalOutcome {
  withdrawalId: string;
  /** What was asked for: amountCents, or the settled balance when the withdrawal was planned. */
  requestedCents: number;
  legs: WithdrawalLegRecord[];
  /** Over the legs not failed: what left the wallet, what goes back to the cards, the processor's fees. */
  debitedCents: number;
  refundedCents: number;
  feeCents: number;
  /** Of the request, what no card charge could take back: it stays in the wallet. */
  unrefundedCents: number;
}

/**
 * Plans a withdrawal (./withdrawal.ts) and debits each of its refund legs (ledger.ts startWithdrawalLeg);
 * the wallet workflow asks Stripe for the refunds. Run again with the same withdrawalId (a retry after a
 * crash or a 503), it plans from the inputs it first planned from: the settled balance and the charges'
 * refunded amounts with this withdrawal's own legs given back. So a repeat finds the legs it already
 * started under their keys and never plans new ones off the balance those legs lowered (with no
 * amountCents, "the whole balance" would otherwise mean what is left, and be withdrawn a second time).
 */
export async function requestWithdrawal(db: Db, input: WithdrawalRequest): Promise<WithdrawalOutcome> {
  const orgId = requireNonEmpty('orgId', input.orgId);
  const withdrawalId = requireNonEmpty('withdrawalId', input.withdrawalId);
  const amount = input.amountCents === undefined ? undefined : requireCents('amountCents', input.amountCents);
  const at = requireInstant('at', input.at);
  const wallet = await getWallet(db, orgId);
  const [charges, existing] = await Promise.all([
    refundableCharges(db, orgId),
    withdrawalLegsOf(db, orgId, withdrawalKey(orgId, withdrawalId)),
  ]);
  const live = existing.filter((l) => l.status !== 'failed');
  const settledBefore = wallet.balanceCents + live.reduce((s, l) => s + l.refundCents + l.feeCents, 0);
  const chargesBefore: RefundableCharge[] = charges.map((c) => ({
    ...c,
    refundedCents:
      c.refundedCents - live.filter((l) => l.topUpId === c.topUpId).reduce((s, l) => s + l.refundCents, 0),
  }));
  // "The whole balance" is bounded like any one operation; what lies beyond stays for another withdrawal.
  const requested = amount ?? Math.min(Math.max(0, settledBefore), MAX_CENTS_PER_OPERATION);
  const toPlan = live.length > 0 ? Math.min(requested, Math.max(0, settledBefore)) : requested;
  // A run that finds its own legs already debited is finishing a withdrawal that was accepted: bills
  // recorded since may have taken part of the balance, and what they took stays unrefunded instead.
  const plan = planWithdrawal({
    settledBalanceCents: settledBefore,
    // Nothing to withdraw is a plan of no legs, not a refused amount of 0.
    requestedCents: toPlan === 0 ? undefined : toPlan,
    charges: chargesBefore,
  });

  const legs: WithdrawalLegRecord[] = [];
  for (const planned of plan.legs) {
    const started = existing.find((l) => l.topUpId === planned.topUpId);
    if (started) {
      legs.push(started);
      continue;
    }
    try {
      const r = await startWithdrawalLeg(db, {
        orgId,
        withdrawalId,
        topUpId: planned.topUpId,
        refundCents: planned.refundCents,
        feeCents: planned.feeCents,
        at,
      });
      legs.push(r.leg);
    } catch (err) {
      // A bill recorded since the plan left too little for this leg: the legs already debited stand (their
      // refunds go ahead), and what this one would have taken stays in the wallet, as unrefundedCents.
      if (legs.length > 0 && err instanceof DomainError && err.code === 'WALLET_INSUFFICIENT_BALANCE') break;
      throw err;
    }
  }
  // Legs an earlier run started that this plan no longer reaches are still this withdrawal's.
  legs.push(...existing.filter((l) => !legs.includes(l)));
  const counted = legs.filter((l) => l.status !== 'failed');
  const refundedCents = counted.reduce((s, l) => s + l.refundCents, 0);
  const feeCents = counted.reduce((s, l) => s + l.feeCents, 0);
  return {
    withdrawalId,
    requestedCents: requested,
    legs,
    debitedCents: refundedCents + feeCents,
    refundedCents,
    feeCents,
    unrefundedCents: requested - refundedCents - feeCents,
  };
}
