import type Stripe from 'stripe';
import { requireNonEmpty } from '../credits/amounts';
import type { Db } from '../db/pool';
import { invalid, notFound } from '../errors';
import { ensureCustomer } from '../stripe/customers';
import { attachPaymentMethod } from '../stripe/payment-methods';

/**
 * The org's Stripe customer. stripe_customers is the durable answer to "which customer is this org";
 * Stripe's own evidence (idempotency key, metadata lookup) only covers the first 24 h or needs an
 * email we do not have, so once a customer exists its id is stored and always passed back.
 */

export async function storedCustomerId(db: Db, orgId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('stripe_customers')
    .select('stripe_customer_id')
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return row?.stripe_customer_id;
}

export async function ensureOrgCustomer(db: Db, stripe: Stripe, orgId: string): Promise<string> {
  requireNonEmpty('orgId', orgId);
  const org = await db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where('id', '=', orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  const known = await storedCustomerId(db, orgId);
  const { customerId } = await ensureCustomer(stripe, orgId, { name: org.name, knownCustomerId: known });
  if (customerId !== known) {
    // Upsert: a stored customer that Stripe no longer has (deleted) is replaced by the one just made.
    await db
      .insertInto('stripe_customers')
      .values({ org_id: orgId, stripe_customer_id: customerId })
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet({ stripe_customer_id: customerId, updated_at: new Date() }),
      )
      .execute();
  }
  return customerId;
}

export interface PaymentDeps {
  db: Db;
  stripe: Stripe;
}

const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;

/**
 * Attaches a card (a PaymentMethod the client created with Stripe.js, or a test token such as
 * `pm_card_visa`) to the org's customer and makes it the default that credit packs are charged to.
 * Safe to repeat: a PaymentMethod already attached to this customer is only made the default again.
 */
export async function attachDefaultCard(
  deps: PaymentDeps,
  orgId: string,
  paymentMethodId: string,
): Promise<{ customerId: string; paymentMethodId: string }> {
  requireNonEmpty('orgId', orgId);
  if (typeof paymentMethodId !== 'string' || !PAYMENT_METHOD_ID.test(paymentMethodId)) {
    throw invalid('paymentMethodId', 'must be a Stripe PaymentMethod id (pm_…)');
  }
  const customerId = await ensureOrgCustomer(deps.db, deps.stripe, orgId);
  // A detached PaymentMethod can never be attached again, so (org, card) names this operation for good.
  const attached = await attachPaymentMethod(deps.stripe, customerId, paymentMethodId, {
    makeDefault: true,
    businessKey: `default-card:${orgId}:${paymentMethodId}`,
  });
  return { customerId, paymentMethodId: attached.paymentMethodId };
}
