import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChargeOutcome } from '../activities/payments';
import type { PaymentOutcome } from '../src/payments/outcome';
import type { CreditPackPurchaseResult } from '../src/payments/purchases';
import type { DomainErrorData } from '../src/errors';

/** Messages of the credit-pack purchase workflow, shared by the workflow, its client and the webhook. */

export interface CreditPackPurchaseInput {
  orgId: string;
  purchaseId: string;
}

/**
 * A verified Stripe event about this purchase's payment. It is only a nudge to look again: the workflow
 * acts on the PaymentIntent it reads back from Stripe, never on the event's payload.
 */
export interface PaymentEventNudge {
  eventId: string;
  type: string;
}

export type PurchasePhase = 'charging' | 'confirming' | 'granting' | 'succeeded' | 'declined' | 'failed';

export interface PurchaseState {
  orgId: string;
  purchaseId: string;
  phase: PurchasePhase;
  charge?: ChargeOutcome;
  /** The last answer of a look-up by business key, when the charge's own answer was not enough. */
  lookup?: PaymentOutcome;
  result?: CreditPackPurchaseResult;
  error?: DomainErrorData;
  /** Ids of the Stripe events received, in order (each at most once). */
  paymentEvents: string[];
}

/** An update, not a query: the HTTP caller waits for the purchase to be granted or declined. */
export const purchaseOutcomeUpdate = defineUpdate<CreditPackPurchaseResult>('purchaseOutcome');
export const paymentEventSignal = defineSignal<[PaymentEventNudge]>('paymentEvent');
export const purchaseStateQuery = defineQuery<PurchaseState>('state');
