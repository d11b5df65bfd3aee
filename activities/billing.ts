import type Stripe from 'stripe';
import { attemptKey } from '../src/billing/ids';
import { closeCreditPeriodAudited, saveSubscriptionAudited, settleChargeAudited } from '../src/audit/billing';
import { openCharge, refundablePayments, type ChargeLine } from '../src/billing/charges';
import type { ChargeKind } from '../src/billing/statuses';
import type { Subscription } from '../src/billing/subscription';
import {
  expireRolloverGrants,
  revokeIncludedCredits,
  setIncludedAllowance,
  type ClosePeriodInput,
  type PeriodSummary,
} from '../src/credits/periods';
import type { Db } from '../src/db/pool';
import { storedCustomerId } from '../src/orgs/stripe-customer';
import { PaymentDeclinedError } from '../src/stripe/errors';
import { chargeOnce, findPaymentByBusinessKey } from '../src/stripe/payment-intents';
import { refundOnce } from '../src/stripe/refunds';
import { asActivity } from '../src/temporal/failures';
import { stripeWrite } from './stripe-write';
import type { Json } from '../workflows/billing.messages';

export interface BillingActivityDeps {
  db: Db;
  /** Without it the charge and refund steps fail retryably until a worker that has one picks them up. */
  stripe: Stripe | undefined;
}

export interface ChargeInput {
  orgId: string;
  businessKey: string;
  kind: ChargeKind;
  amountCents: number;
  lines: ChargeLine[];
  /** 1 for the first try; each retry of a declined charge is its own PaymentIntent. */
  attempt: number;
  at: string;
}

export interface ChargeAnswer {
  outcome: 'succeeded' | 'declined' | 'pending';
  paymentIntentId?: string | null;
  declineCode?: string | null;
}

/**
 * Subscription money: charges and refunds through Stripe, each recorded in billing_charges under its
 * business key before Stripe is asked, so a retried activity finds what the first try did.
 */
export function createBillingActivities(deps: BillingActivityDeps) {
  const { db } = deps;
  const stripe = (): Stripe => {
    if (!deps.stripe) throw new Error('Stripe is not configured: STRIPE_SECRET_KEY is not set');
    return deps.stripe;
  };

  return {
    /** Closes the ledger's open credit period and opens the next (src/db/functions/credits_close_period.sql). */
    closeCreditPeriod: (
      input: ClosePeriodInput,
    ): Promise<{ overageCredits: number; rolloverExpiresAt: string | null; period: PeriodSummary }> =>
      asActivity(async () => {
        const r = await closeCreditPeriodAudited(db, input);
        return {
          overageCredits: r.period.overageCredits,
          rolloverExpiresAt: r.credits.rolloverExpiresAt,
          period: r.period,
        };
      }),

    expireRolledOver: (input: { orgId: string; at: string }): Promise<{ rolloverExpiresAt: string | null }> =>
      asActivity(async () => ({
        rolloverExpiresAt: (await expireRolloverGrants(db, input)).credits.rolloverExpiresAt,
      })),

    /** An upgrade's or a downgrade's allowance for the rest of the credit period. */
    setAllowance: (input: {
      orgId: string;
      allowance: number;
      changeId: string;
      at: string;
    }): Promise<void> => asActivity(async () => void (await setIncludedAllowance(db, input))),

    /** Paused or canceled: no included credits (prepaid stay; held credits expire when released). */
    revokeIncluded: (input: {
      orgId: string;
      changeId: string;
      at: string;
    }): Promise<{ rolloverExpiresAt: string | null }> =>
      asActivity(async () => ({
        rolloverExpiresAt: (await revokeIncludedCredits(db, input)).credits.rolloverExpiresAt,
      })),

    chargeSubscription: (input: ChargeInput): Promise<ChargeAnswer> =>
      stripeWrite(async () => {
        const at = new Date(input.at);
        const row = await openCharge(db, { ...input, at });
        if (row.status === 'succeeded') {
          return { outcome: 'succeeded', paymentIntentId: row.payment_intent_id };
        }
        const customerId = await storedCustomerId(db, input.orgId);
        if (!customerId) {
          await settleChargeAudited(db, input.businessKey, {
            status: 'failed',
            attempts: input.attempt,
            declineCode: 'no_payment_method',
          });
          return { outcome: 'declined', declineCode: 'no_payment_method' };
        }
        // An earlier attempt reported pending may have gone through since: never pay twice for one charge.
        for (let a = 1; a < input.attempt; a += 1) {
          const earlier = await findPaymentByBusinessKey(stripe(), attemptKey(input.businessKey, a), {
            customerId,
          });
          if (earlier?.status === 'succeeded') {
            await settleChargeAudited(db, input.businessKey, {
              status: 'succeeded',
              attempts: input.attempt,
              paymentIntentId: earlier.paymentIntentId,
            });
            return { outcome: 'succeeded', paymentIntentId: earlier.paymentIntentId };
          }
        }
        try {
          const charge = await chargeOnce(stripe(), {
            businessKey: attemptKey(input.businessKey, input.attempt),
            customerId,
            amountCents: input.amountCents,
            currency: 'usd',
            description: input.lines
              .map((l) => l.description)
              .join('; ')
              .slice(0, 1000),
            metadata: { orgId: input.orgId, kind: input.kind, chargeKey: input.businessKey },
          });
          const succeeded = charge.status === 'succeeded';
          await settleChargeAudited(db, input.businessKey, {
            status: succeeded ? 'succeeded' : 'pending',
            attempts: input.attempt,
            paymentIntentId: charge.paymentIntentId,
          });
          return { outcome: succeeded ? 'succeeded' : 'pending', paymentIntentId: charge.paymentIntentId };
        } catch (err) {
          if (!(err instanceof PaymentDeclinedError)) throw err;
          await settleChargeAudited(db, input.businessKey, {
            status: 'failed',
            attempts: input.attempt,
            paymentIntentId: err.paymentIntentId ?? null,
            declineCode: err.declineCode,
          });
          return {
            outcome: 'declined',
            paymentIntentId: err.paymentIntentId ?? null,
            declineCode: err.declineCode,
          };
        }
      }),

    /**
     * Refunds `amountCents` from the org's most recent paid charges, newest first, one Stripe refund (and
     * one billing_charges row) per PaymentIntent it draws on. Never refunds more than was paid.
     */
    refundSubscription: (input: {
      orgId: string;
      businessKey: string;
      amountCents: number;
      lines: ChargeLine[];
      at: string;
    }): Promise<{ refundedCents: number }> =>
      stripeWrite(async () => {
        let left = input.amountCents;
        let part = 0;
        for (const paid of await refundablePayments(db, input.orgId)) {
          if (left <= 0) break;
          const amountCents = Math.min(left, paid.refundableCents);
          const businessKey = attemptKey(input.businessKey, (part += 1));
          await openCharge(db, {
            orgId: input.orgId,
            businessKey,
            kind: 'refund',
            amountCents,
            lines: input.lines,
            at: new Date(input.at),
          });
          const refund = await refundOnce(stripe(), {
            businessKey,
            paymentIntentId: paid.paymentIntentId,
            amountCents,
            metadata: { orgId: input.orgId, chargeKey: input.businessKey },
          });
          await settleChargeAudited(db, businessKey, {
            status: 'succeeded',
            attempts: 1,
            paymentIntentId: paid.paymentIntentId,
            refundId: refund.refundId,
          });
          left -= amountCents;
        }
        return { refundedCents: input.amountCents - left };
      }),

    saveSubscription: (input: {
      orgId: string;
      subscription: Json<Subscription>;
      at: string;
    }): Promise<void> =>
      asActivity(() => {
        const s = input.subscription;
        return saveSubscriptionAudited(db, {
          ...s,
          orgId: input.orgId,
          anchor: new Date(s.anchor),
          period: { start: new Date(s.period.start), end: new Date(s.period.end) },
          changedAt: new Date(input.at),
        });
      }),
  };
}

export type BillingActivities = ReturnType<typeof createBillingActivities>;
