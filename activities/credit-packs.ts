import Stripe from 'stripe';
import type { Db } from '../src/db/pool';
import { ensureOrgCustomer, storedCustomerId } from '../src/orgs/stripe-customer';
import { creditPackBusinessKey } from '../src/credit-packs/ids';
import { classifyPayment, type PaymentOutcome } from '../src/stripe/outcome';
import {
  completePurchase,
  failPurchase,
  loadPurchase,
  recordPaymentIntent,
  type CreditPackPurchaseResult,
  type FailPurchaseInput,
} from '../src/credit-packs/purchases';
import { PaymentDeclinedError } from '../src/stripe/errors';
import { chargeOnce, findPaymentByBusinessKey } from '../src/stripe/payment-intents';
import { asActivity } from '../src/temporal/failures';
import { stripeWrite } from './stripe-write';

export interface CreditPackActivityDeps {
  db: Db;
  /**
   * The Stripe account to charge, built by the entry point from Config. Without one the worker still
   * runs generations; a purchase's Stripe steps then fail retryably and resume once a worker has it.
   */
  stripe: Stripe | undefined;
}

export interface PurchaseRef {
  orgId: string;
  purchaseId: string;
}

export type ChargeOutcome = Extract<PaymentOutcome, { outcome: 'succeeded' | 'pending' }> & {
  reused: boolean;
  amountCents: number;
};

/**
 * Credit-pack payment activities. The Stripe-writing ones (customer, charge) are bounded by the workflow
 * to an hour, well inside Stripe's 24 h idempotency window, and the charge looks its PaymentIntent up by
 * business key before creating one; the rest only read Stripe or write our database idempotently, so they
 * may retry for as long as it takes.
 */
export function createCreditPackActivities(deps: CreditPackActivityDeps) {
  const { db } = deps;
  const stripe = (): Stripe => {
    // A plain (retryable) error, not VALIDATION_FAILED: it is the operator's to fix, not the request.
    if (!deps.stripe) throw new Error('Stripe is not configured: STRIPE_SECRET_KEY is not set');
    return deps.stripe;
  };

  return {
    ensureStripeCustomer: ({ orgId }: { orgId: string }): Promise<{ customerId: string }> =>
      stripeWrite(async () => ({ customerId: await ensureOrgCustomer(db, stripe(), orgId) })),

    chargeCreditPack: ({ orgId, purchaseId }: PurchaseRef): Promise<ChargeOutcome> =>
      stripeWrite(async () => {
        const purchase = await loadPurchase(db, orgId, purchaseId);
        const customerId = await storedCustomerId(db, orgId);
        if (!customerId) {
          throw new PaymentDeclinedError('the organization has no card on file', {
            declineCode: 'no_payment_method',
          });
        }
        const businessKey = creditPackBusinessKey(purchaseId);
        const charge = await chargeOnce(stripe(), {
          businessKey,
          customerId,
          amountCents: purchase.amount_cents,
          currency: 'usd',
          description: `${purchase.credits} credits (${purchase.pack_id})`,
          metadata: { orgId, purchaseId, packId: purchase.pack_id },
        }).catch(async (err: unknown) => {
          // A card error does not always name its PaymentIntent; the purchase should, for the audit trail.
          if (!(err instanceof PaymentDeclinedError) || err.paymentIntentId) throw err;
          const found = await findPaymentByBusinessKey(stripe(), businessKey, { customerId });
          if (!found) throw err;
          throw new PaymentDeclinedError(err.message, {
            declineCode: err.declineCode,
            paymentIntentId: found.paymentIntentId,
            details: err.details,
          });
        });
        await recordPaymentIntent(db, purchaseId, charge.paymentIntentId);
        const outcome = classifyPayment({ ...charge, declineCode: undefined });
        // chargeOnce throws declines, so what is left is paid or still in flight.
        if (outcome.outcome !== 'succeeded' && outcome.outcome !== 'pending') {
          throw new Error(`unexpected PaymentIntent status ${charge.status} for ${charge.paymentIntentId}`);
        }
        return { ...outcome, reused: charge.reused, amountCents: charge.amountCents };
      }),

    /** Read-only: what Stripe holds for the purchase's business key. Never charges. */
    findCreditPackPayment: ({ orgId, purchaseId }: PurchaseRef): Promise<PaymentOutcome> =>
      asActivity(async () => {
        await loadPurchase(db, orgId, purchaseId);
        const customerId = await storedCustomerId(db, orgId);
        if (!customerId) return { outcome: 'absent' };
        return classifyPayment(
          await findPaymentByBusinessKey(stripe(), creditPackBusinessKey(purchaseId), { customerId }),
        );
      }),

    completeCreditPackPurchase: (
      input: PurchaseRef & { paymentIntentId: string },
    ): Promise<CreditPackPurchaseResult> => asActivity(() => completePurchase(db, input)),

    failCreditPackPurchase: (input: FailPurchaseInput): Promise<void> =>
      asActivity(() => failPurchase(db, input)),
  };
}

export type CreditPackActivities = ReturnType<typeof createCreditPackActivities>;
