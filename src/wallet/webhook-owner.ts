import type { StripeEventOwner } from '../webhooks/owners';
import { walletStripeEventSignal } from '../../workflows/wallet.messages';
import { WALLET_KEY_PREFIXES, walletWorkflowId } from './ids';

/**
 * The wallet workflow owns its top-ups' PaymentIntents and its withdrawals' refunds, and hears of a card
 * attached to an agency org's customer (a new card resets the decline breaker). An event is only a nudge:
 * the workflow looks the PaymentIntent up at Stripe itself.
 */
export const walletEventOwner: StripeEventOwner = {
  prefixes: WALLET_KEY_PREFIXES,
  async find(db, event) {
    const signal = walletStripeEventSignal;
    if (event.kind === 'payment_method_attached' && event.customerId) {
      const row = await db
        .selectFrom('stripe_customers')
        .innerJoin('wallets', 'wallets.org_id', 'stripe_customers.org_id')
        .select('stripe_customers.org_id')
        .where('stripe_customers.stripe_customer_id', '=', event.customerId)
        .executeTakeFirst();
      return row ? { workflowId: walletWorkflowId(row.org_id), signal } : undefined;
    }
    if (!event.businessKey) return undefined;
    const [topUp, leg] = await Promise.all([
      db
        .selectFrom('wallet_top_ups')
        .select('org_id')
        .where('business_key', '=', event.businessKey)
        .executeTakeFirst(),
      db
        .selectFrom('wallet_withdrawal_legs')
        .select('org_id')
        .where('business_key', '=', event.businessKey)
        .executeTakeFirst(),
    ]);
    const orgId = topUp?.org_id ?? leg?.org_id;
    return orgId ? { workflowId: walletWorkflowId(orgId), signal } : undefined;
  },
};
