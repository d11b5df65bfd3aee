import type Stripe from 'stripe';
import { defaultPaymentMethodOf } from './customers';
import { PaymentDeclinedError, StripeValidationError, toDeclined } from './errors';
import { assertBusinessKey, idempotencyKeyFor } from './idempotency';
import {
  assertCents,
  assertCurrency,
  assertStripeId,
  idOf,
  LOOKUP_SCAN_LIMIT,
  withBusinessKey,
  type Currency,
} from './params';

export interface ChargeRequest {
  businessKey: string;
  customerId: string;
  amountCents: number;
  currency: Currency;
  description: string;
  metadata?: Record<string, string>;
  /** Defaults to the customer's `invoice_settings.default_payment_method`. */
  paymentMethodId?: string;
}

export interface ChargeResult {
  paymentIntentId: string;
  status: Stripe.PaymentIntent.Status;
  amountCents: number;
}

export interface ChargeOnceResult extends ChargeResult {
  /** True when an existing PaymentIntent for the business key was returned instead of charging. */
  reused: boolean;
}

export interface PaymentRecord {
  paymentIntentId: string;
  businessKey: string;
  status: Stripe.PaymentIntent.Status;
  amountCents: number;
  currency: string;
  customerId: string | null;
  declineCode: string | undefined;
}

/**
 * Find-then-charge, what activities use. A PaymentIntent already carrying this business key is returned
 * (or its decline rethrown) instead of charging again; otherwise charges under the same idempotency key
 * as `chargeOffSession`. The look-up covers the case Stripe's ~24 h key memory does not.
 */
export async function chargeOnce(stripe: Stripe, req: ChargeRequest): Promise<ChargeOnceResult> {
  validateCharge(req);
  const existing = await findPaymentIntent(stripe, req.businessKey, req.customerId);
  if (existing) {
    if (
      existing.amount !== req.amountCents ||
      existing.currency !== req.currency ||
      idOf(existing.customer) !== req.customerId
    ) {
      throw new StripeValidationError('businessKey was already used for a different charge', {
        businessKey: req.businessKey,
        existing: {
          paymentIntentId: existing.id,
          amountCents: existing.amount,
          currency: existing.currency,
        },
        requested: { amountCents: req.amountCents, currency: req.currency },
      });
    }
    return { ...settledCharge(existing), reused: true };
  }
  return { ...(await chargeOffSession(stripe, req)), reused: false };
}

/**
 * Creates and confirms an off-session PaymentIntent under `pi:<businessKey>`. On its own it relies on
 * the idempotency key alone, which Stripe forgets after ~24h: call `chargeOnce`.
 */
export async function chargeOffSession(stripe: Stripe, req: ChargeRequest): Promise<ChargeResult> {
  validateCharge(req);
  // Resolved on each attempt; if the default card changes between attempts the
  // replay is rejected by Stripe (idempotency_error) rather than charging another card.
  const paymentMethodId = req.paymentMethodId ?? (await defaultPaymentMethodOf(stripe, req.customerId));
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: req.amountCents,
        currency: req.currency,
        customer: req.customerId,
        payment_method: paymentMethodId,
        confirm: true,
        off_session: true,
        // Server-side confirmation has no return_url, so redirect-based methods must be excluded.
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        description: req.description,
        metadata: withBusinessKey(req.businessKey, req.metadata),
      },
      { idempotencyKey: idempotencyKeyFor('pi', req.businessKey) },
    );
  } catch (err) {
    throw toDeclined(err);
  }
  return settledCharge(intent);
}

/**
 * The PaymentIntent created for `businessKey`, if any, among the customer's most recent intents
 * (LOOKUP_SCAN_LIMIT). A succeeded intent wins over failed ones. Never charges.
 */
export async function findPaymentByBusinessKey(
  stripe: Stripe,
  businessKey: string,
  scope: { customerId: string },
): Promise<PaymentRecord | null> {
  assertBusinessKey(businessKey);
  assertStripeId(scope.customerId, 'customerId');
  const intent = await findPaymentIntent(stripe, businessKey, scope.customerId);
  if (!intent) return null;
  return {
    paymentIntentId: intent.id,
    businessKey,
    status: intent.status,
    amountCents: intent.amount,
    currency: intent.currency,
    customerId: idOf(intent.customer),
    declineCode: intent.last_payment_error?.decline_code || intent.last_payment_error?.code,
  };
}

function validateCharge(req: ChargeRequest): void {
  assertBusinessKey(req.businessKey);
  assertStripeId(req.customerId, 'customerId');
  assertCents(req.amountCents, 'amountCents');
  assertCurrency(req.currency);
  if (typeof req.description !== 'string' || req.description.length === 0) {
    throw new StripeValidationError('description is required', { businessKey: req.businessKey });
  }
  withBusinessKey(req.businessKey, req.metadata);
}

async function findPaymentIntent(
  stripe: Stripe,
  businessKey: string,
  customerId: string,
): Promise<Stripe.PaymentIntent | null> {
  let newestMatch: Stripe.PaymentIntent | null = null;
  let scanned = 0;
  for await (const intent of stripe.paymentIntents.list({ customer: customerId, limit: 100 })) {
    if (intent.metadata?.businessKey === businessKey) {
      if (intent.status === 'succeeded') return intent;
      newestMatch ??= intent;
    }
    if (++scanned >= LOOKUP_SCAN_LIMIT) break;
  }
  return newestMatch;
}

function settledCharge(intent: Stripe.PaymentIntent): ChargeResult {
  if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
    const failure = intent.last_payment_error;
    throw new PaymentDeclinedError(failure.message ?? 'payment failed', {
      declineCode: failure.decline_code || failure.code || 'payment_failed',
      paymentIntentId: intent.id,
    });
  }
  if (intent.status === 'requires_action') {
    // Off-session there is nobody to complete 3DS; the customer must come back on-session.
    throw new PaymentDeclinedError('payment requires customer authentication', {
      declineCode: 'authentication_required',
      paymentIntentId: intent.id,
    });
  }
  return { paymentIntentId: intent.id, status: intent.status, amountCents: intent.amount };
}
