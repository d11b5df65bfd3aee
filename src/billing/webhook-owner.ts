import type { StripeEventOwner } from '../webhooks/owners';
import { paymentEventSignal } from '../../workflows/billing.messages';
import { BILLING_KEY_PREFIXES, billingWorkflowId, chargeKeyOfAttempt } from './ids';

/**
 * The billing workflow owns its charges' PaymentIntents, and hears of a card attached to a subscribed
 * org's customer (a new card may pay what is due). An event is only a nudge: the workflow retries what
 * is due and reads Stripe's answer itself.
 */
export const billingEventOwner: StripeEventOwner = {
  prefixes: BILLING_KEY_PREFIXES,
  async find(db, event) {
    if (event.kind === 'payment_method_attached' && event.customerId) {
      const row = await db
        .selectFrom('stripe_customers')
        .innerJoin('subscriptions', 'subscriptions.org_id', 'stripe_customers.org_id')
        .select('stripe_customers.org_id')
        .where('stripe_customers.stripe_customer_id', '=', event.customerId)
        .executeTakeFirst();
      return row ? { workflowId: billingWorkflowId(row.org_id), signal: paymentEventSignal } : undefined;
    }
    if (!event.businessKey) return undefined;
    const row = await db
      .selectFrom('billing_charges')
      .select('org_id')
      .where('business_key', '=', chargeKeyOfAttempt(event.businessKey))
      .executeTakeFirst();
    return row ? { workflowId: billingWorkflowId(row.org_id), signal: paymentEventSignal } : undefined;
  },
};
