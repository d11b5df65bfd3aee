import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import type { Db } from '../src/db/pool';
import { ensureOrgCustomer, storedCustomerId } from '../src/payments/customers';
import { creditPackBusinessKey } from '../src/payments/ids';
import { classifyPayment, type PaymentOutcome } from '../src/payments/outcome';
import {
  completePurchase,
  failPurchase,
  loadPurchase,
  recordPaymentIntent,
  type CreditPackPurchaseResult,
  type FailPurchaseInput,
} from '../src/payments/purchases';
import { isRetryableStripeError, PaymentDeclinedError } from '../src/stripe/errors';
import type { StripeGateway } from '../src/stripe/gateway';
import { asActivity } from '../src/temporal/failures';

/**
 * Test seams, injected through the factory like the gateway itself: each runs at the point where a real
 * worker could die, so a test can make "Stripe said yes, then the worker vanished" happen on demand.
 */
export interface PaymentActivityHooks {
  /** Before anything is sent to Stripe for the charge. */
  beforeCharge?(ctx: { purchaseId: string }): void | Promise<void>;
  /** After Stripe accepted the charge (and we recorded its id), before the activity reports success. */
  afterCharge?(ctx: { purchaseId: string; paymentIntentId: string }): void | Promise<void>;
  /** After the grant transaction committed, before the activity reports success. */
  afterGrant?(ctx: { purchaseId: string }): void | Promise<void>;
}

export interface PaymentActivityDeps {
  db: Db;
  /** A thunk lets a worker start without Stripe configured; the gateway is then built on first use. */
  gateway: StripeGateway | (() => StripeGateway);
  hooks?: PaymentActivityHooks;
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
export function createPaymentActivities(deps: PaymentActivityDeps) {
  const { db, hooks } = deps;
  const gateway = typeof deps.gateway === 'function' ? deps.gateway : () => deps.gateway as StripeGateway;

  return {
    ensureStripeCustomer: ({ orgId }: { orgId: string }): Promise<{ customerId: string }> =>
      stripeWrite(async () => ({ customerId: await ensureOrgCustomer(db, gateway(), orgId) })),

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
        await hooks?.beforeCharge?.({ purchaseId });
        const charge = await gateway()
          .chargeOnce({
            businessKey,
            customerId,
            amountCents: purchase.amount_cents,
            currency: 'usd',
            description: `${purchase.credits} credits (${purchase.pack_id})`,
            metadata: { orgId, purchaseId, packId: purchase.pack_id },
          })
          .catch(async (err: unknown) => {
            // A card error does not always name its PaymentIntent; the purchase should, for the audit trail.
            if (!(err instanceof PaymentDeclinedError) || err.paymentIntentId) throw err;
            const found = await gateway().findPaymentByBusinessKey(businessKey, { customerId });
            if (!found) throw err;
            throw new PaymentDeclinedError(err.message, {
              declineCode: err.declineCode,
              paymentIntentId: found.paymentIntentId,
              details: err.details,
            });
          });
        await recordPaymentIntent(db, purchaseId, charge.paymentIntentId);
        await hooks?.afterCharge?.({ purchaseId, paymentIntentId: charge.paymentIntentId });
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
          await gateway().findPaymentByBusinessKey(creditPackBusinessKey(purchaseId), { customerId }),
        );
      }),

    completeCreditPackPurchase: (
      input: PurchaseRef & { paymentIntentId: string },
    ): Promise<CreditPackPurchaseResult> =>
      asActivity(async () => {
        const result = await completePurchase(db, input);
        await hooks?.afterGrant?.({ purchaseId: input.purchaseId });
        return result;
      }),

    failCreditPackPurchase: (input: FailPurchaseInput): Promise<void> =>
      asActivity(() => failPurchase(db, input)),
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

/**
 * A Stripe write whose error is deterministic for the same request (invalid request, authentication,
 * idempotency conflict) is not retried: the workflow then settles the purchase by looking it up instead.
 */
async function stripeWrite<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await asActivity(fn);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError && !isRetryableStripeError(err)) {
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: true,
        cause: err,
      });
    }
    throw err;
  }
}
