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
