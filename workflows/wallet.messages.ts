import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StripeEventNudge } from '../src/webhooks/owners';

/** Messages of the wallet workflow (`wallet:<orgId>`), shared by the workflow, its client and the webhook. */

export interface WalletWorkflowInput {
  orgId: string;
  /** Business time minus the workflow clock: the simulator's, 0 everywhere else. */
  clockOffsetMs: number;
  /** The local day whose "cap reached" notification was sent (one per day), carried across runs. */
  capNotifiedDay?: string | null;
}

/**
 * Something changed that the wallet should look at: a bill that crossed the threshold or the floor, a
 * top-up or withdrawal the org asked for, new settings, a wire, a new card. Only a nudge: the workflow
 * reads the wallet back from the database, so nudges coalesce and a lost or repeated one changes nothing.
 */
export interface WalletNudge {
  reason: WalletNudgeReason;
}
export const WALLET_NUDGE_REASONS = ['debit', 'top_up', 'withdrawal', 'settings', 'wire', 'card'] as const;
export type WalletNudgeReason = (typeof WALLET_NUDGE_REASONS)[number];

export const walletNudgeSignal = defineSignal<[WalletNudge]>('nudge');
/** A Stripe event about one of the wallet's PaymentIntents or refunds: look at what is in flight. */
export const walletStripeEventSignal = defineSignal<[StripeEventNudge]>('stripeEvent');

export interface WalletWorkflowView {
  orgId: string;
  /** Waiting for a nudge or its next timer with nothing under way. */
  idle: boolean;
  /** When it wakes by itself next (a decline's back-off, the next local day, a pending ACH check). */
  wakeAt: string | null;
  capNotifiedDay: string | null;
}
export const walletStateQuery = defineQuery<WalletWorkflowView>('walletState');
