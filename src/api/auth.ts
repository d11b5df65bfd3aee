import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { authenticateApiKey, type ApiKeyIdentity } from '../auth/api-keys';
import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import type { TokenBuckets } from './rate-limit';

const identities = new WeakMap<FastifyRequest, ApiKeyIdentity>();

/** The org and key a request was authenticated as; every org-scoped query starts here. */
export function identityOf(request: FastifyRequest): ApiKeyIdentity {
  const identity = identities.get(request);
  if (!identity) throw new Error(`route ${request.url} reads the caller's identity but has no auth hook`);
  return identity;
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Runs before the body is read, so an unauthenticated caller never gets as far as body parsing. Order:
 * who is calling (401), may they call at all (503 KILL_SWITCH), are they calling too fast (429).
 */
export function authenticate(db: Db, buckets: TokenBuckets): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new DomainError('UNAUTHENTICATED', 'send the API key as "Authorization: Bearer <key>"');
    const auth = await authenticateApiKey(db, token);
    if (!auth.ok && auth.reason === 'invalid') throw new DomainError('UNAUTHENTICATED', 'invalid API key');
    if (!auth.ok) {
      const what =
        auth.reason === 'key_disabled' ? 'this API key is disabled' : 'this organization is disabled';
      throw new DomainError('KILL_SWITCH', what, { reason: auth.reason });
    }
    const decision = buckets.take(auth.identity.prefix);
    if (!decision.allowed) {
      throw new DomainError('RATE_LIMITED', 'too many requests for this API key', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    identities.set(request, auth.identity);
  };
}
