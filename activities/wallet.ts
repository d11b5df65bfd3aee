import Stripe from 'stripe';
import type { AdPlatforms } from '../src/ads/platform';
import type { Db } from '../src/db/pool';
import { storedCustomerId } from '../src/orgs/stripe-customer';
import { PaymentDeclinedError } from '../src/stripe/errors';
import { bankDebitMethodOf } from '../src/stripe/payment-methods';
import { chargeOnce, findPaymentByBusinessKey } from '../src/stripe/payment-intents';
import { refundOnce } from '../src/stripe/refunds';
import {
  recordAdAction,
  recordWithdrawalLegSettled,
  resetAutoTopUpBreakerAudited,
  settleTopUpAudited,
} from '../src/audit/wallet';
import { asActivity } from '../src/temporal/failures';
import { applyAdAction, type AdActionRecord } from '../src/wallet/ad-actions';
import type { LocalDay } from '../src/wallet/days';
import {
  breakerNotificationKey,
  capReachedNotificationKey,
  topUpFailedNotificationKey,
  withdrawalKey,
} from '../src/wallet/ids';
import { claimAutoTopUp, settleWithdrawalLeg, type SettleTopUpInput } from '../src/wallet/ledger';
import type { WalletReview } from '../src/wallet/next-step';
import { notifyOrg } from '../src/wallet/notifications';
import { markProcessing, reviewWallet } from '../src/wallet/review';
import type { AdAction, AdActionReason } from '../src/wallet/statuses';
import { getWallet } from '../src/wallet/wallets';
import { stripeWrite } from './stripe-write';

export interface WalletActivityDeps {
  db: Db;
  /** Without it the Stripe steps fail retryably until a worker that has one picks them up. */
  stripe: Stripe | undefined;
  ads: AdPlatforms;
}

export type TopUpStepOutcome = 'succeeded' | 'declined' | 'failed' | 'processing' | 'already_settled';

interface OrgAt {
  orgId: string;
  /** Business time of the workflow's decision, ISO. */
  at: string;
}

/**
 * The wallet workflow's steps. Each is idempotent on its business key: a retry after the worker died
 * half-way finds what the first attempt did (the top-up's PaymentIntent by its key in Stripe, the ledger
 * row by its key in the database), so a top-up is charged once and credited once.
 */
export function createWalletActivities(deps: WalletActivityDeps) {
  const { db } = deps;
  const stripe = (): Stripe => {
    if (!deps.stripe) throw new Error('Stripe is not configured: STRIPE_SECRET_KEY is not set');
    return deps.stripe;
  };

  /** Settles a top-up and writes what the org must hear of it; the settle itself is idempotent. */
  async function settle(input: SettleTopUpInput): Promise<void> {
    const { topUp, breakerTripped } = await settleTopUpAudited(db, input);
    const at = new Date(input.at);
    if (breakerTripped) {
      await notifyOrg(db, {
        orgId: input.orgId,
        kind: 'wallet_auto_top_up_off',
        businessKey: breakerNotificationKey(topUp.key),
        payload: { reason: 'declines', lastDecline: input.reason ?? null, amountCents: topUp.amountCents },
        at,
      });
    }
    if (topUp.status === 'failed' && topUp.trigger === 'manual') {
      await notifyOrg(db, {
        orgId: input.orgId,
        kind: 'wallet_top_up_failed',
        businessKey: topUpFailedNotificationKey(topUp.key),
        payload: { method: topUp.method, amountCents: topUp.amountCents, reason: topUp.failureReason },
        at,
      });
    }
  }

  async function pendingTopUp(orgId: string, key: string) {
    return db
      .selectFrom('wallet_top_ups')
      .select(['amount_cents', 'method', 'trigger', 'status', 'payment_intent_id'])
      .where('org_id', '=', orgId)
      .where('business_key', '=', key)
      .executeTakeFirstOrThrow();
  }

  return {
    reviewWallet: (input: OrgAt): Promise<WalletReview> =>
      asActivity(() => reviewWallet(db, input.orgId, new Date(input.at))),

    /**
     * Sends a pending top-up to Stripe and settles what Stripe answers at once: a card succeeds or
     * declines, ACH goes on processing (recorded, then settled by its webhook or the periodic check). An
     * auto top-up not yet sent is cancelled if auto-top-up was switched off since it was claimed.
     */
    chargeTopUp: (input: OrgAt & { key: string }): Promise<TopUpStepOutcome> =>
      stripeWrite(async () => {
        const at = new Date(input.at);
        const { orgId, key } = input;
        const topUp = await pendingTopUp(orgId, key);
        if (topUp.status !== 'pending') return 'already_settled';
        const failed = async (outcome: 'declined' | 'failed', reason: string, paymentIntentId?: string) => {
          await settle({ orgId, topUpKey: key, outcome, reason, paymentIntentId, at });
          return outcome;
        };
        const customerId = await storedCustomerId(db, orgId);
        if (!customerId) return failed('declined', 'no_payment_method');
        if (topUp.trigger === 'auto') {
          const wallet = await getWallet(db, orgId);
          const off = !wallet.autoTopUp.enabled || wallet.autoTopUp.disabledReason !== null;
          if (off && !(await findPaymentByBusinessKey(stripe(), key, { customerId }))) {
            return failed('failed', 'auto_top_up_disabled_before_charge');
          }
        }
        const paymentMethodId =
          topUp.method === 'ach' ? await bankDebitMethodOf(stripe(), customerId) : undefined;
        if (topUp.method === 'ach' && !paymentMethodId) return failed('failed', 'no_bank_account');
        try {
          const charge = await chargeOnce(stripe(), {
            businessKey: key,
            customerId,
            amountCents: topUp.amount_cents,
            currency: 'usd',
            description: `Ad wallet top-up (${topUp.trigger}, ${topUp.method})`,
            metadata: { orgId, method: topUp.method, trigger: topUp.trigger },
            ...(paymentMethodId ? { paymentMethodId } : {}),
          });
          if (charge.status === 'succeeded') {
            await settle({
              orgId,
              topUpKey: key,
              outcome: 'succeeded',
              paymentIntentId: charge.paymentIntentId,
              at,
            });
            return 'succeeded';
          }
          if (charge.status === 'processing') {
            await markProcessing(db, orgId, key, charge.paymentIntentId);
            return 'processing';
          }
          return failed('failed', `payment_intent_${charge.status}`, charge.paymentIntentId);
        } catch (err) {
          if (err instanceof PaymentDeclinedError) {
            return failed(
              topUp.method === 'card' ? 'declined' : 'failed',
              err.declineCode ?? 'declined',
              err.paymentIntentId,
            );
          }
          throw err;
        }
      }),

    /** Looks up the top-ups Stripe is processing (ACH) and settles those it has decided. */
    checkInFlight: (input: OrgAt): Promise<{ settled: number }> =>
      asActivity(async () => {
        const at = new Date(input.at);
        const rows = await db
          .selectFrom('wallet_top_ups')
          .select(['business_key', 'payment_intent_id'])
          .where('org_id', '=', input.orgId)
          .where('status', '=', 'pending')
          .where('payment_intent_id', 'is not', null)
          .execute();
        let settled = 0;
        for (const row of rows) {
          const intent = await stripe().paymentIntents.retrieve(row.payment_intent_id!);
          if (intent.status === 'processing') continue;
          const succeeded = intent.status === 'succeeded';
          const reason = intent.last_payment_error?.code ?? `payment_intent_${intent.status}`;
          await settle({
            orgId: input.orgId,
            topUpKey: row.business_key,
            outcome: succeeded ? 'succeeded' : 'failed',
            paymentIntentId: intent.id,
            reason: succeeded ? null : reason,
            at,
          });
          settled += 1;
        }
        return { settled };
      }),

    /** Guarantee 6's claim, under the wallet's row lock (wallet_claim_auto_top_up). */
    claimAutoTopUp: (input: OrgAt & { localDay: LocalDay; amountCents: number }) =>
      asActivity(async () => {
        const r = await claimAutoTopUp(db, { ...input, at: new Date(input.at) });
        return r.status === 'claimed'
          ? { status: r.status, key: r.topUp.key, usedTodayCents: r.usedTodayCents }
          : { status: r.status, reason: r.reason, usedTodayCents: r.usedTodayCents };
      }),

    /**
     * Refunds one withdrawal leg to the card its top-up charged. A refund Stripe refuses for good (the
     * charge disputed or already refunded elsewhere) fails the leg, which credits it back to the wallet.
     */
    refundWithdrawalLeg: (input: OrgAt & { key: string }): Promise<'succeeded' | 'failed'> =>
      asActivity(async () => {
        const at = new Date(input.at);
        const leg = await db
          .selectFrom('wallet_withdrawal_legs as l')
          .innerJoin('wallet_top_ups as t', 't.id', 'l.top_up_id')
          .select(['l.withdrawal_key', 'l.top_up_id', 'l.refund_cents', 'l.status', 't.payment_intent_id'])
          .where('l.org_id', '=', input.orgId)
          .where('l.business_key', '=', input.key)
          .executeTakeFirstOrThrow();
        if (leg.status !== 'pending') return leg.status;
        const withdrawalId = leg.withdrawal_key.slice(withdrawalKey(input.orgId, '').length);
        const settleLeg = (
          outcome: 'succeeded' | 'failed',
          extra: { stripeRefundId?: string; reason?: string },
        ) =>
          settleWithdrawalLeg(db, {
            orgId: input.orgId,
            withdrawalId,
            topUpId: leg.top_up_id,
            outcome,
            at,
            ...extra,
          }).then((r) => recordWithdrawalLegSettled(db, input.orgId, r.leg, at));
        try {
          const refund = await refundOnce(stripe(), {
            businessKey: input.key,
            paymentIntentId: leg.payment_intent_id!,
            amountCents: leg.refund_cents,
            metadata: { orgId: input.orgId },
          });
          await settleLeg('succeeded', { stripeRefundId: refund.refundId });
          return 'succeeded';
        } catch (err) {
          if (err instanceof Stripe.errors.StripeInvalidRequestError) {
            await settleLeg('failed', { reason: err.code ?? err.message });
            return 'failed';
          }
          throw err;
        }
      }),

    /** Pauses or resumes the org's agency ads; retried until every platform has confirmed. */
    applyAds: (input: OrgAt & { action: AdAction; reason: AdActionReason }): Promise<AdActionRecord> =>
      asActivity(async () => {
        const action = await applyAdAction(db, deps.ads, { ...input, at: new Date(input.at) });
        await recordAdAction(db, input.orgId, action);
        return action;
      }),

    notifyCapReached: (input: OrgAt & { localDay: LocalDay }): Promise<void> =>
      asActivity(async () => {
        const wallet = await getWallet(db, input.orgId);
        await notifyOrg(db, {
          orgId: input.orgId,
          kind: 'wallet_cap_reached',
          businessKey: capReachedNotificationKey(input.orgId, input.localDay),
          payload: { localDay: input.localDay, dailyCapCents: wallet.autoTopUp.dailyCapCents },
          at: new Date(input.at),
        });
      }),

    /** A card attached to the org's customer: the declines were the old card's, so the breaker resets. */
    cardUpdated: (input: { orgId: string }): Promise<void> =>
      asActivity(async () => void (await resetAutoTopUpBreakerAudited(db, input.orgId))),
  };
}

export type WalletActivities = ReturnType<typeof createWalletActivities>;
