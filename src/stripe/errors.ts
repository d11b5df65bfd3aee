import Stripe from 'stripe';
import { DomainError } from '../errors';

// The Stripe adapter's failures are the project's DomainErrors, so they carry a stable code that maps once to an
// HTTP status (src/errors.ts) and once to a non-retryable Temporal failure (src/temporal/failures.ts)
// without any Stripe-specific translation in between. The subclasses keep the Stripe-specific fields
// (decline code, signature failure reason) for callers that branch on them.

export type StripeDomainErrorCode = 'PAYMENT_DECLINED' | 'VALIDATION_FAILED' | 'INVALID_SIGNATURE';

/**
 * The customer's payment method cannot be charged without the customer doing
 * something (new card, 3DS, funds). Retrying the same request can only repeat
 * the outcome, so workflows must treat this as non-retryable.
 */
export class PaymentDeclinedError extends DomainError {
  declare readonly code: 'PAYMENT_DECLINED';
  declare readonly details: Record<string, unknown>;
  readonly retryable = false;
  /** Issuer decline code when Stripe gives one, else Stripe's error code (e.g. `card_declined`). */
  readonly declineCode: string | undefined;
  readonly paymentIntentId: string | undefined;

  constructor(
    message: string,
    opts: {
      declineCode?: string | undefined;
      paymentIntentId?: string | undefined;
      details?: Record<string, unknown>;
    } = {},
  ) {
    super('PAYMENT_DECLINED', message, {
      ...opts.details,
      declineCode: opts.declineCode,
      paymentIntentId: opts.paymentIntentId,
    });
    this.declineCode = opts.declineCode;
    this.paymentIntentId = opts.paymentIntentId;
  }
}

/**
 * A card error as the customer's problem. The SDK maps every HTTP 402 to StripeCardError: declines,
 * expired cards, and off-session authentication_required. All need the customer, not a retry.
 */
export function toDeclined(err: unknown): unknown {
  if (err instanceof Stripe.errors.StripeCardError) {
    // The SDK fills a missing decline_code with ''; fall back to the error code.
    return new PaymentDeclinedError(err.message, {
      declineCode: err.decline_code || err.code,
      paymentIntentId: err.payment_intent?.id,
      details: { stripeCode: err.code, requestId: err.requestId },
    });
  }
  return err;
}

/** Caller bug or conflicting reuse of a business key; retrying cannot help. */
export class StripeValidationError extends DomainError {
  declare readonly code: 'VALIDATION_FAILED';
  declare readonly details: Record<string, unknown>;
  readonly retryable = false;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VALIDATION_FAILED', message, details);
  }
}

export type InvalidSignatureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'timestamp_out_of_tolerance'
  | 'signature_mismatch'
  | 'malformed_payload';

/** Webhook body could not be authenticated as coming from Stripe. */
export class InvalidSignatureError extends DomainError {
  declare readonly code: 'INVALID_SIGNATURE';
  declare readonly details: Record<string, unknown>;
  readonly retryable = false;
  readonly reason: InvalidSignatureReason;

  constructor(reason: InvalidSignatureReason, message: string) {
    super('INVALID_SIGNATURE', message, { reason });
    this.reason = reason;
  }
}

/**
 * Whether an error thrown by the Stripe adapter is worth retrying with the same
 * idempotency key. Intended for the Temporal activity wrapper, which should
 * convert `false` into a non-retryable ApplicationFailure.
 */
export function isRetryableStripeError(err: unknown): boolean {
  if (
    err instanceof PaymentDeclinedError ||
    err instanceof StripeValidationError ||
    err instanceof InvalidSignatureError
  ) {
    return false;
  }
  if (err instanceof Stripe.errors.StripeError) {
    // Connection/5xx/429/409 (lock or idempotency-key-in-use) can succeed later;
    // 4xx errors are deterministic for the same request and key.
    return (
      err instanceof Stripe.errors.StripeConnectionError ||
      err instanceof Stripe.errors.StripeAPIError ||
      err instanceof Stripe.errors.StripeRateLimitError
    );
  }
  // Unknown failures (e.g. a bug surfacing as TypeError) are left to the retry policy.
  return true;
}
