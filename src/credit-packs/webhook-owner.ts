import type { StripeEventOwner } from '../webhooks/owners';
import { paymentEventSignal } from '../../workflows/credit-packs.messages';
import { CREDIT_PACK_KEY_PREFIX, creditPackWorkflowId, purchaseIdFromBusinessKey } from './ids';
import { findPurchaseRef } from './purchases';

/** Credit packs own the PaymentIntents they create, and the refunds of those (traced by PaymentIntent). */
export const creditPackEventOwner: StripeEventOwner = {
  prefixes: [CREDIT_PACK_KEY_PREFIX],
  async find(db, event) {
    // Invoices are never a pack's: only its PaymentIntent and that PaymentIntent's charges are.
    if (event.kind === 'invoice_paid' || event.kind === 'invoice_payment_failed') return undefined;
    const purchaseId = purchaseIdFromBusinessKey(event.businessKey);
    const ref = await findPurchaseRef(
      db,
      purchaseId ? { purchaseId } : { paymentIntentId: event.paymentIntentId },
    );
    return ref
      ? { workflowId: creditPackWorkflowId(ref.orgId, ref.purchaseId), signal: paymentEventSignal }
      : undefined;
  },
};
