import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { isRetryableStripeError } from '../src/stripe/errors';
import { asActivity } from '../src/temporal/failures';

/**
 * A Stripe write whose error is deterministic for the same request (invalid request, authentication,
 * idempotency conflict) is not retried: the workflow then settles by looking the payment up instead.
 */
export async function stripeWrite<T>(fn: () => Promise<T>): Promise<T> {
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
