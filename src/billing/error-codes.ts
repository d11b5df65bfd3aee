import type { ErrorSpec } from '../errors';

/**
 * The codes billing refuses with, as entries for src/errors.ts's ERRORS table (to be spread into it:
 * this module holds data only and imports nothing at run time, so errors.ts can import it without a
 * cycle). Until then ./refusals.ts builds DomainErrors with these codes.
 */
export const BILLING_ERRORS = {
  /** One more project (or seat) than the tier allows (seed 000 "counts against plan limits"). */
  PLAN_LIMIT_REACHED: { status: 403, retryable: false },
  /** The org is paused or canceled: no new generations until it resumes or subscribes again. */
  SUBSCRIPTION_INACTIVE: { status: 402, retryable: false },
  /** The requested plan is the current one and nothing is scheduled: there is nothing to change. */
  PLAN_UNCHANGED: { status: 409, retryable: false },
  /** A change is already scheduled for the renewal; cancel it (ask for the current plan) first. */
  CHANGE_ALREADY_SCHEDULED: { status: 409, retryable: false },
  /** The subscription is canceled: subscribe again instead of changing it. */
  SUBSCRIPTION_CANCELED: { status: 409, retryable: false },
  /** The action does not apply in the subscription's state (pause when paused, resume with nothing to resume…). */
  SUBSCRIPTION_STATE_CONFLICT: { status: 409, retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type BillingErrorCode = keyof typeof BILLING_ERRORS;

export const BILLING_ERROR_CODES = Object.keys(BILLING_ERRORS) as BillingErrorCode[];
