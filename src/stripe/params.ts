import { StripeValidationError } from './errors';

/** Checks on request fields before anything reaches Stripe, so a bad value costs no request. */

export type Currency = 'usd';

export function assertCents(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new StripeValidationError(`${field} must be a safe integer number of cents`, { field, value });
  }
}

export function assertCurrency(value: unknown): asserts value is Currency {
  if (value !== 'usd') {
    throw new StripeValidationError('only usd is supported', { currency: value });
  }
}

export function assertStripeId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StripeValidationError(`${field} is required`, { field });
  }
}

// Stripe metadata limits: 50 keys, key <= 40 chars, value <= 500 chars.
export function withBusinessKey(
  businessKey: string,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const metadata: Record<string, string> = { ...extra };
  if (extra?.businessKey !== undefined && extra.businessKey !== businessKey) {
    throw new StripeValidationError('metadata.businessKey conflicts with businessKey', { businessKey });
  }
  metadata.businessKey = businessKey;
  const entries = Object.entries(metadata);
  if (entries.length > 50) throw new StripeValidationError('metadata has more than 50 keys');
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 40 || typeof value !== 'string' || value.length > 500) {
      throw new StripeValidationError(
        'metadata entries must be string values (key <= 40, value <= 500 chars)',
        { key },
      );
    }
  }
  return metadata;
}

/** The id of an expandable field, whether Stripe sent the id or the object. */
export function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

/**
 * Lookups use `list` filtered by customer, not the Search API: search results can lag writes by up to a
 * minute, which is exactly the window in which a crashed activity is retried, so a search miss would
 * charge twice. Lists are read-after-write consistent and newest-first, so recent objects are found
 * within the first page. The price is an O(n) scan, capped here; an object older than the cap is
 * treated as absent.
 */
export const LOOKUP_SCAN_LIMIT = 500;
