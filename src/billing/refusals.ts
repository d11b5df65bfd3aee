import { DomainError } from '../errors';
import type { BillingErrorCode } from './error-codes';

/** A DomainError with one of billing's own codes (spread into src/errors.ts's ERRORS). */
export function refuse(
  code: BillingErrorCode,
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  return new DomainError(code, message, details);
}

/** How long a caller waits before asking again while a renewal is being recorded. */
export const RENEWAL_RETRY_AFTER_SECONDS = 2;

/**
 * A change asked for after the period ended but before the workflow recorded its renewal: no amount
 * computed against that period would be right, so the caller retries in a moment (503, retryable).
 */
export function renewalPending(periodEnd: Date): DomainError {
  return new DomainError(
    'ENGINE_UNAVAILABLE',
    `the subscription's period ended at ${periodEnd.toISOString()} and its renewal is not recorded yet; retry`,
    { reason: 'renewal_pending', retryAfterSeconds: RENEWAL_RETRY_AFTER_SECONDS },
  );
}

/** `fn`'s refusal, with a RangeError from a time outside the current period read as renewalPending. */
export function refusalAt<T>(period: { start: Date; end: Date }, at: Date, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const outside = at.getTime() < period.start.getTime() || at.getTime() >= period.end.getTime();
    if (err instanceof RangeError && outside) throw renewalPending(period.end);
    throw err;
  }
}
