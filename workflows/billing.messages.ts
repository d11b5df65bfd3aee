import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChangeRequest } from '../src/billing/changes';
import type { ChargeLine } from '../src/billing/charges';
import type { Period } from '../src/billing/period';
import type { Plan, Subscription } from '../src/billing/subscription';
import type { ChangeOutcome, ChargeKind } from '../src/billing/statuses';
import type { StripeEventNudge } from '../src/webhooks/owners';

/** Messages of the org-billing workflow, shared by the workflow, its client and the webhook. */

/** Dates cross Temporal's JSON payloads as ISO strings; the workflow revives them. */
export type Json<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Array<Json<U>>
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** A charge that failed and is retried on the dunning schedule. */
export interface DueCharge {
  businessKey: string;
  kind: ChargeKind;
  amountCents: number;
  lines: ChargeLine[];
}

export interface Dunning {
  charges: DueCharge[];
  firstFailedAt: Date;
  failures: number;
  nextRetryAt: Date;
}

/** Everything the workflow carries from one run to the next (continue-as-new at every period close). */
export interface BillingState {
  orgId: string;
  subscription: Subscription;
  /**
   * The ledger's open credit period: monthly from the anchor while the subscription runs; while it is
   * paused or canceled it stays open, without included credits, until the subscription starts again.
   */
  creditPeriod: Period;
  rolloverExpiresAt: Date | null;
  dunning: Dunning | null;
  /**
   * Business time minus the workflow clock. 0 in production; the simulator runs a scenario that starts in
   * the past on a test server whose clock starts now, and every business time is read through it.
   */
  clockOffsetMs: number;
  /** Everything due up to this time has been handled (the last boundary processed). */
  handledUpTo: Date;
}

export type BillingWorkflowInput = Json<BillingState> & {
  /** A new subscription pays its first period when it starts; an org that already paid does not. */
  chargeFirstPeriod?: boolean;
};

export interface SubscriptionChangeResult {
  outcome: ChangeOutcome;
  subscription: Json<Subscription>;
  /** The proration lines charged (positive) or refunded (negative) now, and their total. */
  lines: ChargeLine[];
  totalCents: number;
  scheduledChange: Plan | null;
}

export const changePlanUpdate = defineUpdate<SubscriptionChangeResult, [ChangeRequest]>('changePlan');
export const cancelUpdate = defineUpdate<SubscriptionChangeResult, []>('cancel');
export const resumeUpdate = defineUpdate<SubscriptionChangeResult, [ChangeRequest]>('resume');
export const pauseUpdate = defineUpdate<SubscriptionChangeResult, []>('pause');
/** A Stripe event about one of the workflow's charges, or a new card: retry what is due now. */
export const paymentEventSignal = defineSignal<[StripeEventNudge]>('paymentEvent');
/** The state, and whether the workflow is idle: waiting for its next boundary with nothing under way. */
export type BillingStateView = Json<BillingState> & { idle: boolean };
export const billingStateQuery = defineQuery<BillingStateView>('billingState');
