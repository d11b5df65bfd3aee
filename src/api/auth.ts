import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  authenticateApiKey,
  authenticateApiKeyWithBalance,
  type ApiKeyIdentity,
  type Authentication,
} from '../auth/api-keys';
import type { ApiKeyScope } from '../auth/scopes';
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

export interface AuthLimits {
  /** Per API key: requests admitted once the key is known to be valid. */
  perKey: TokenBuckets;
  /** Per org, across all its keys: one org cannot crowd out the others by minting more keys. */
  perOrg: TokenBuckets;
  /**
   * Per client address: failed authentications allowed. A client that has spent them is refused 429
   * before any key lookup, so a key-guessing flood costs a map lookup per request instead of a database
   * query. Behind a proxy this is per proxy unless TRUST_PROXY makes request.ip the client's.
   */
  failuresPerClient: TokenBuckets;
}

function rateLimited(what: string, retryAfterSeconds: number): DomainError {
  return new DomainError('RATE_LIMITED', what, { retryAfterSeconds });
}

/**
 * Runs before the body is read, so an unauthenticated caller never gets as far as body parsing. Order:
 * who is calling (401), may they call at all (503 KILL_SWITCH), are they calling too fast (429).
 * `withCredits`: the org's balance is read in the same statement as the key (one round trip for
 * GET /v1/credits); nothing of it is kept for a request that fails any of the checks.
 */
export function authenticate(
  db: Db,
  limits: AuthLimits,
  opts: { withCredits?: boolean } = {},
): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw new DomainError('UNAUTHENTICATED', 'send the API key as "Authorization: Bearer <key>"');
    const client = limits.failuresPerClient.check(request.ip);
    if (!client.allowed) {
      throw rateLimited('too many failed authentications from this client', client.retryAfterSeconds);
    }
    const auth: Authentication<{ balance?: BalanceRow }> = opts.withCredits
      ? await authenticateApiKeyWithBalance(db, token)
      : await authenticateApiKey(db, token);
    if (!auth.ok && auth.reason === 'invalid') {
      limits.failuresPerClient.take(request.ip);
      throw new DomainError('UNAUTHENTICATED', 'invalid API key');
    }
    callers.set(request, auth.identity.orgId);
    if (!auth.ok) {
      const what =
        auth.reason === 'key_disabled' ? 'this API key is disabled' : 'this organization is disabled';
      throw new DomainError('KILL_SWITCH', what, { reason: auth.reason });
    }
    // Both buckets are checked before either is spent, so a refusal by one costs the other nothing.
    const { prefix, orgId } = auth.identity;
    const perKey = limits.perKey.check(prefix);
    if (!perKey.allowed) throw rateLimited('too many requests for this API key', perKey.retryAfterSeconds);
    const perOrg = limits.perOrg.check(orgId);
    if (!perOrg.allowed) {
      throw rateLimited('too many requests for this organization', perOrg.retryAfterSeconds);
    }
    limits.perKey.take(prefix);
    limits.perOrg.take(orgId);
    const { identity, balance } = auth;
    if (!opts.withCredits) {
      authenticated.set(request, { identity });
      return;
    }
    const credits = balance ? snapshotOfBalance(identity, balance, await formatEstimates(db)) : null;
    authenticated.set(request, { identity, credits });
  };
}

/**
 * Runs after authenticate on a route that requires a scope: the scopes were read with the key, so the
 * check costs no query, and it refuses before the body is parsed, so a refused request writes nothing.
 */
export function requireScope(scope: ApiKeyScope): onRequestHookHandler {
  return async (request) => {
    if (!identityOf(request).scopes.includes(scope)) {
      throw new DomainError('SCOPE_REQUIRED', `this route needs an API key with the ${scope} scope`, {
        scope,
      });
    }
  };
}
