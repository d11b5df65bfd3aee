import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  authenticateApiKey,
  authenticateApiKeyWithBalance,
  type ApiKeyIdentity,
  type Authentication,
} from '../auth/api-keys';
import { formatEstimates } from '../credits/ledger';
import { snapshotOfBalance, type BalanceRow, type CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import { DomainError, notFound } from '../errors';
import type { TokenBuckets } from './rate-limit';

interface Authenticated {
  identity: ApiKeyIdentity;
  /** Routes with `auth: 'with-credits'` only; null for an org without a balance row. */
  credits?: CreditsSnapshot | null;
}

const authenticated = new WeakMap<FastifyRequest, Authenticated>();
/** The org of every request whose key was recognised, refused (disabled, rate limited) or not: for logs. */
const callers = new WeakMap<FastifyRequest, string>();

/** The org whose API key the request carried, once the key is verified; never throws (for logging). */
export function callerOrgId(request: FastifyRequest): string | undefined {
  return callers.get(request);
}

function authenticatedAs(request: FastifyRequest): Authenticated {
  const auth = authenticated.get(request);
  if (!auth) throw new Error(`route ${request.url} reads the caller's identity but has no auth hook`);
  return auth;
}

/** The org and key a request was authenticated as; every org-scoped query starts here. */
export function identityOf(request: FastifyRequest): ApiKeyIdentity {
  return authenticatedAs(request).identity;
}

/** The caller's credit snapshot, read with its API key: for routes declared `auth: 'with-credits'`. */
export function creditsOf(request: FastifyRequest): CreditsSnapshot {
  const { identity, credits } = authenticatedAs(request);
  if (credits === undefined) {
    throw new Error(`route ${request.url} reads the caller's credits but is not auth: 'with-credits'`);
  }
  // Only an org without a balance row, which createOrganization never leaves behind.
  if (credits === null) throw notFound('organization', identity.orgId);
  return credits;
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Runs before the body is read, so an unauthenticated caller never gets as far as body parsing. Order:
 * who is calling (401), may they call at all (503 KILL_SWITCH), are they calling too fast (429).
 * `withCredits`: the org's balance is read in the same statement as the key (one round trip for
 * GET /v1/credits); nothing of it is kept for a request that fails any of the checks.
 */
export function authenticate(
  db: Db,
  buckets: TokenBuckets,
  opts: { withCredits?: boolean } = {},
): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new DomainError('UNAUTHENTICATED', 'send the API key as "Authorization: Bearer <key>"');
    const auth: Authentication<{ balance?: BalanceRow }> = opts.withCredits
      ? await authenticateApiKeyWithBalance(db, token)
      : await authenticateApiKey(db, token);
    if (!auth.ok && auth.reason === 'invalid') throw new DomainError('UNAUTHENTICATED', 'invalid API key');
    callers.set(request, auth.identity.orgId);
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
    const { identity, balance } = auth;
    if (!opts.withCredits) {
      authenticated.set(request, { identity });
      return;
    }
    const credits = balance ? snapshotOfBalance(identity, balance, await formatEstimates(db)) : null;
    authenticated.set(request, { identity, credits });
  };
}
