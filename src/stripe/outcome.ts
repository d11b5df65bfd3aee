import type { PaymentRecord } from './payment-intents';

/**
 * What a PaymentIntent means for a purchase, in the few cases the workflow acts on. Pure, so the charge
 * activity and the look-up activity classify the same Stripe status the same way.
 */
export type PaymentOutcome =
  | { outcome: 'succeeded'; paymentIntentId: string }
  | { outcome: 'declined'; paymentIntentId: string; declineCode: string }
  /** Stripe has not finished (e.g. `processing`): wait for its webhook or look again later. */
  | { outcome: 'pending'; paymentIntentId: string }
  /** No PaymentIntent carries our business key: nothing was charged. */
  | { outcome: 'absent' };

export function classifyPayment(
  record: Pick<PaymentRecord, 'paymentIntentId' | 'status' | 'declineCode'> | null,
): PaymentOutcome {
  if (!record) return { outcome: 'absent' };
  const { paymentIntentId } = record;
  switch (record.status) {
    case 'succeeded':
      return { outcome: 'succeeded', paymentIntentId };
    case 'requires_payment_method':
      // Off-session, a failed confirmation is final for this PaymentIntent: we never confirm it again.
      return { outcome: 'declined', paymentIntentId, declineCode: record.declineCode || 'payment_failed' };
    case 'requires_action':
      return { outcome: 'declined', paymentIntentId, declineCode: 'authentication_required' };
    case 'canceled':
      return { outcome: 'declined', paymentIntentId, declineCode: 'canceled' };
    default:
      return { outcome: 'pending', paymentIntentId };
  }
}
