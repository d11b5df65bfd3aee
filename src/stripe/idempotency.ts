import { StripeValidationError } from './errors';

// Activities may run more than once (worker crash, timeout, retry), so every mutating Stripe request
// carries an idempotency key derived only from our business key: Stripe then replays the first result
// for ~24h instead of applying the request twice. Never let the SDK invent a random key: a random key
// makes a re-run activity look like a brand new request. Past those 24h, the functions that move money
// first look for an object carrying `metadata.businessKey` and reuse it.

export const IDEMPOTENCY_KINDS = ['customer', 'pm-attach', 'pm-default', 'pi', 'refund'] as const;
export type IdempotencyKind = (typeof IDEMPOTENCY_KINDS)[number];

// Printable ASCII without spaces: keys travel in an HTTP header (Idempotency-Key)
// and in metadata; 200 leaves room for the kind prefix under Stripe's 255 limit.
const BUSINESS_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export function assertBusinessKey(value: unknown, field = 'businessKey'): asserts value is string {
  if (typeof value !== 'string' || !BUSINESS_KEY_PATTERN.test(value)) {
    throw new StripeValidationError(`${field} must be 1-200 printable ASCII characters without spaces`, {
      field,
      value,
    });
  }
}

/**
 * Stable idempotency key for one Stripe request. Pure: the same inputs always give the same key, which
 * is what lets a retried activity replay rather than repeat.
 */
export function idempotencyKeyFor(kind: IdempotencyKind, businessKey: string): string {
  if (!(IDEMPOTENCY_KINDS as readonly string[]).includes(kind)) {
    throw new StripeValidationError(`unknown idempotency kind: ${String(kind)}`, { kind });
  }
  assertBusinessKey(businessKey);
  return `${kind}:${businessKey}`;
}
