import type Stripe from 'stripe';
import { StripeValidationError } from './errors';
import { assertBusinessKey, idempotencyKeyFor } from './idempotency';
import { assertCents, assertStripeId, LOOKUP_SCAN_LIMIT, withBusinessKey } from './params';

export interface RefundRequest {
  businessKey: string;
  paymentIntentId: string;
  amountCents: number;
  metadata?: Record<string, string>;
}

export interface RefundResult {
  refundId: string;
  amountCents: number;
  /** True when a refund already carrying the business key was returned instead of refunding again. */
  reused: boolean;
}

/**
 * Refunds part of a PaymentIntent once per business key: a refund of that PaymentIntent already carrying
 * the key is returned (Stripe forgets idempotency keys after ~24 h, the metadata stays), otherwise one is
 * created under `refund:<businessKey>`.
 */
export async function refundOnce(stripe: Stripe, req: RefundRequest): Promise<RefundResult> {
  assertBusinessKey(req.businessKey);
  assertStripeId(req.paymentIntentId, 'paymentIntentId');
  assertCents(req.amountCents, 'amountCents');
  let scanned = 0;
  for await (const existing of stripe.refunds.list({ payment_intent: req.paymentIntentId, limit: 100 })) {
    if (existing.metadata?.businessKey === req.businessKey) {
      if (existing.amount !== req.amountCents) {
        throw new StripeValidationError('businessKey was already used for a refund of a different amount', {
          businessKey: req.businessKey,
          refundId: existing.id,
          existingAmountCents: existing.amount,
          requestedAmountCents: req.amountCents,
        });
      }
      return { refundId: existing.id, amountCents: existing.amount, reused: true };
    }
    if (++scanned >= LOOKUP_SCAN_LIMIT) break;
  }
  const created = await stripe.refunds.create(
    {
      payment_intent: req.paymentIntentId,
      amount: req.amountCents,
      metadata: withBusinessKey(req.businessKey, req.metadata),
    },
    { idempotencyKey: idempotencyKeyFor('refund', req.businessKey) },
  );
  return { refundId: created.id, amountCents: created.amount, reused: false };
}
