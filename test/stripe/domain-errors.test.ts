import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors';
import { InvalidSignatureError, PaymentDeclinedError, StripeValidationError } from '../../src/stripe/errors';
import { asActivity, domainErrorFrom } from '../../src/temporal/failures';

describe('Stripe errors are DomainErrors', () => {
  const declined = new PaymentDeclinedError('Your card was declined.', {
    declineCode: 'insufficient_funds',
    paymentIntentId: 'pi_1',
    details: { stripeCode: 'card_declined' },
  });

  it.each([
    [
      declined,
      'PAYMENT_DECLINED',
      402,
      { stripeCode: 'card_declined', declineCode: 'insufficient_funds', paymentIntentId: 'pi_1' },
    ],
    [
      new StripeValidationError('bad key', { field: 'businessKey' }),
      'VALIDATION_FAILED',
      400,
      { field: 'businessKey' },
    ],
    [
      new InvalidSignatureError('timestamp_out_of_tolerance', 'too old'),
      'INVALID_SIGNATURE',
      400,
      { reason: 'timestamp_out_of_tolerance' },
    ],
  ])('%s maps to %s / HTTP %i', (err, code, status, details) => {
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code, httpStatus: status, details, retryable: false });
  });

  it('crosses Temporal as a non-retryable failure and comes back with its decline code', async () => {
    const failure = await asActivity(() => Promise.reject(declined)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PAYMENT_DECLINED', nonRetryable: true });
    const rebuilt = domainErrorFrom(new Error('activity failed', { cause: failure as Error }));
    expect(rebuilt).toMatchObject({
      code: 'PAYMENT_DECLINED',
      details: { declineCode: 'insufficient_funds', paymentIntentId: 'pi_1' },
    });
  });
});
