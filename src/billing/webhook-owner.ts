import type { StripeEventOwner } from '../webhooks/owners';
import { paymentEventSignal } from '../../workflows/billing.messages';
import { BILLING_KEY_PREFIXES, billingWorkflowId, chargeKeyOfAttempt } from './ids';

/**
 * The billing workflow owns its charges' PaymentIntents (metadata.orgId names the org). An event is only
 * a nudge: the workflow retries what is due and reads Stripe's answer itself.
 */
export const billingEventOwner: StripeEventOwner = {
  prefixes: BILLING_KEY_PREFIXES,
  async find(db, event) {
    if (!event.businessKey) return undefined;
    const row = await db
      .selectFrom('billing_charges')
      .select('org_id')
      .where('business_key', '=', chargeKeyOfAttempt(event.businessKey))
      .executeTakeFirst();
    return row ? { workflowId: billingWorkflowId(row.org_id), signal: paymentEventSignal } : undefined;
  },
};
