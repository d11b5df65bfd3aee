import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChargeOutcome } from '../activities/credit-packs';
import type { PaymentOutcome } from '../src/stripe/outcome';
import type { CreditPackPurchaseResult } from '../src/credit-packs/purchases';
import type { DomainErrorData } from '../src/errors';
import type { StripeEventNudge } from '../src/webhooks/owners';

/** Messages of the credit-pack purchase workflow, shared by the workflow, its client and the webhook. */

export interface CreditPackPurchaseInput {
  orgId: string;
  purchaseId: string;
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
export const paymentEventSignal = defineSignal<[StripeEventNudge]>('paymentEvent');
export const purchaseStateQuery = defineQuery<PurchaseState>('state');
