import { DomainError, type ErrorCode } from '../errors';
import type { BillingErrorCode } from './error-codes';

/**
 * A DomainError with one of billing's own codes. The widening cast stands until src/errors.ts spreads
 * BILLING_ERRORS into ERRORS; after that BillingErrorCode is an ErrorCode and the cast is a no-op.
 */
export function refuse(
  code: BillingErrorCode,
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  const wide: string = code;
  return new DomainError(wide as ErrorCode, message, details);
}
