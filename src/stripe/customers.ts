import Stripe from 'stripe';
import { PaymentDeclinedError, StripeValidationError } from './errors';
import { assertBusinessKey, idempotencyKeyFor } from './idempotency';
import { idOf, LOOKUP_SCAN_LIMIT } from './params';

export interface EnsureCustomerOptions {
  name: string;
  email?: string | undefined;
  /** The Stripe customer id we persisted for this org, if any. It is the durable source of truth. */
  knownCustomerId?: string | undefined;
}

export interface EnsureCustomerResult {
  customerId: string;
  /** `known`: the stored id was valid; `lookup`: found by email+metadata; `create`: created (or replayed by idempotency key). Persist the id unless `known`. */
  source: 'known' | 'lookup' | 'create';
}

/**
 * One Stripe customer per org. Order of evidence: the id we stored, then a customer with our
 * `metadata.orgId` among those with the same email, then creation under `customer:<orgId>`. The key
 * alone is not enough because Stripe expires it after ~24h, and Search is not read-after-write.
 */
export async function ensureCustomer(
  stripe: Stripe,
  orgId: string,
  opts: EnsureCustomerOptions,
): Promise<EnsureCustomerResult> {
  assertBusinessKey(orgId, 'orgId');
  if (opts.knownCustomerId) {
    const existing = await retrieveCustomerOrNull(stripe, opts.knownCustomerId);
    if (existing) {
      if (existing.metadata?.orgId !== orgId) {
        throw new StripeValidationError('stored Stripe customer belongs to another org', {
          orgId,
          customerId: existing.id,
          customerOrgId: existing.metadata?.orgId,
        });
      }
      return { customerId: existing.id, source: 'known' };
    }
  }

  if (opts.email) {
    let oldest: Stripe.Customer | undefined;
    let scanned = 0;
    for await (const customer of stripe.customers.list({ email: opts.email, limit: 100 })) {
      if (customer.metadata?.orgId === orgId && (!oldest || customer.created < oldest.created))
        oldest = customer;
      if (++scanned >= LOOKUP_SCAN_LIMIT) break;
    }
    if (oldest) return { customerId: oldest.id, source: 'lookup' };
  }

  const created = await stripe.customers.create(
    {
      name: opts.name,
      ...(opts.email ? { email: opts.email } : {}),
      metadata: { orgId },
    },
    { idempotencyKey: idempotencyKeyFor('customer', orgId) },
  );
  return { customerId: created.id, source: 'create' };
}

/** The card an off-session charge uses when the caller names none. */
export async function defaultPaymentMethodOf(stripe: Stripe, customerId: string): Promise<string> {
  const customer = await stripe.customers.retrieve(customerId);
  if (customer.deleted) {
    throw new StripeValidationError('Stripe customer is deleted', { customerId });
  }
  const paymentMethodId = idOf(customer.invoice_settings?.default_payment_method);
  if (!paymentMethodId) {
    // Same remedy as a decline (customer must add a card), so same error type.
    throw new PaymentDeclinedError('customer has no default payment method', {
      declineCode: 'no_payment_method',
      details: { customerId },
    });
  }
  return paymentMethodId;
}

async function retrieveCustomerOrNull(stripe: Stripe, customerId: string): Promise<Stripe.Customer | null> {
  try {
    const customer = await stripe.customers.retrieve(customerId);
    return customer.deleted ? null : customer;
  } catch (err) {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return null;
    throw err;
  }
}
