import { createHash } from 'node:crypto';

/**
 * The id a wallet request is known by in its business keys (./ids.ts manualTopUpKey, withdrawalKey), made
 * from the request's Idempotency-Key. A key of up to 64 characters is used as it is, so support can find
 * it in the rows; a longer one (the header allows 255) becomes `sha256:<hex>`, 71 characters, so that
 * every key built from it stays within the ledger's 200-character ids and Stripe's 255-character
 * idempotency keys. No short key can equal a hashed one: those are 71 characters long.
 */
export const MAX_VERBATIM_REQUEST_KEY = 64;

export const walletRequestId = (idempotencyKey: string): string =>
  idempotencyKey.length <= MAX_VERBATIM_REQUEST_KEY
    ? idempotencyKey
    : `sha256:${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}`;
