import { randomUUID } from 'node:crypto';

/**
 * Every name derived from a purchase, built only here. The Stripe business key and the ledger grant key
 * are the same string on purpose: one purchase, one PaymentIntent, one ledger row.
 */

export const CREDIT_PACK_KEY_PREFIX = 'credit-pack:';

export const newPurchaseId = (): string => `cpp_${randomUUID()}`;

export const creditPackWorkflowId = (orgId: string, purchaseId: string): string =>
  `credit-pack:${orgId}:${purchaseId}`;

/** `metadata.businessKey` of the PaymentIntent (and, prefixed by src/stripe/idempotency.ts, its idempotency key). */
export const creditPackBusinessKey = (purchaseId: string): string => `${CREDIT_PACK_KEY_PREFIX}${purchaseId}`;

/** The grant's idempotency key in credit_ledger. */
export const creditPackGrantKey = creditPackBusinessKey;

/** The purchase id in a business key we issued, or undefined for anyone else's key. */
export function purchaseIdFromBusinessKey(businessKey: string | null): string | undefined {
  if (!businessKey?.startsWith(CREDIT_PACK_KEY_PREFIX)) return undefined;
  const id = businessKey.slice(CREDIT_PACK_KEY_PREFIX.length);
  return id.length > 0 ? id : undefined;
}
