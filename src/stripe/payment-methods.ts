import Stripe from 'stripe';
import { StripeValidationError, toDeclined } from './errors';
import { assertBusinessKey, idempotencyKeyFor } from './idempotency';
import { assertStripeId, idOf } from './params';

export interface AttachPaymentMethodOptions {
  makeDefault: boolean;
  /** Identifies this attach operation (e.g. the workflow step). Required because re-attaching after a detach must not replay an old key. */
  businessKey: string;
}

/** Attaches the card to the customer (a no-op when already theirs) and optionally makes it the default. */
export async function attachPaymentMethod(
  stripe: Stripe,
  customerId: string,
  paymentMethodId: string,
  opts: AttachPaymentMethodOptions,
): Promise<{ paymentMethodId: string; isDefault: boolean }> {
  assertStripeId(customerId, 'customerId');
  assertStripeId(paymentMethodId, 'paymentMethodId');
  assertBusinessKey(opts.businessKey);

  // Inspect first so a re-run after a successful attach (key expired) is a no-op.
  const pm = await stripe.paymentMethods.retrieve(paymentMethodId);
  const owner = idOf(pm.customer);
  let attachedId = pm.id;
  if (owner !== null && owner !== customerId) {
    throw new StripeValidationError('payment method is attached to another customer', {
      paymentMethodId: pm.id,
      customerId,
    });
  }
  if (owner === null) {
    try {
      const attached = await stripe.paymentMethods.attach(
        pm.id,
        { customer: customerId },
        { idempotencyKey: idempotencyKeyFor('pm-attach', opts.businessKey) },
      );
      attachedId = attached.id;
    } catch (err) {
      throw toDeclined(err);
    }
  }

  if (opts.makeDefault) {
    await stripe.customers.update(
      customerId,
      { invoice_settings: { default_payment_method: attachedId } },
      { idempotencyKey: idempotencyKeyFor('pm-default', opts.businessKey) },
    );
  }
  return { paymentMethodId: attachedId, isDefault: opts.makeDefault };
}

/**
 * The bank-debit payment methods an ACH top-up may use, most preferred first. `us_bank_account` is
 * Stripe's ACH Direct Debit; `sepa_debit` follows the same asynchronous life (processing, then succeeded
 * or payment_failed days later) and is the one bank debit localstripe implements, so the tests drive the
 * ACH path through it.
 */
export const BANK_DEBIT_TYPES = ['us_bank_account', 'sepa_debit'] as const;

/** The customer's newest bank-debit payment method, or undefined when it has none. */
export async function bankDebitMethodOf(stripe: Stripe, customerId: string): Promise<string | undefined> {
  assertStripeId(customerId, 'customerId');
  for (const type of BANK_DEBIT_TYPES) {
    let methods: Stripe.ApiList<Stripe.PaymentMethod>;
    try {
      methods = await stripe.paymentMethods.list({ customer: customerId, type, limit: 1 });
    } catch (err) {
      // A type this Stripe does not know (localstripe and us_bank_account): try the next.
      if (err instanceof Stripe.errors.StripeInvalidRequestError) continue;
      throw err;
    }
    if (methods.data[0]) return methods.data[0].id;
  }
  return undefined;
}
