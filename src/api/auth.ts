import type {} from '@fastify/cookie'; // request.cookies
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import {
  authenticateApiKey,
  authenticateApiKeyWithBalance,
  type ApiKeyIdentity,
  type Authentication,
} from '../auth/api-keys';
import type { ApiKeyScope } from '../auth/scopes';
import {
  authenticateSession,
  CSRF_HEADER,
  csrfTokenMatches,
  SESSION_COOKIE,
  type SessionRead,
} from '../auth/sessions';
import { formatEstimates } from '../credits/ledger';
import { snapshotOfBalance, type BalanceRow, type CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import { DomainError, notFound } from '../errors';
import type { TokenBuckets } from './rate-limit';
import { clearSessionCookie } from './session-cookie';

interface Authenticated {
  identity: ApiKeyIdentity;
  /** Set when the request came with a dashboard session cookie rather than a key. */
  session?: { token: string; expiresAt: Date };
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

/** The dashboard session a request authenticated with, or undefined for a bearer key. */
export function sessionOf(request: FastifyRequest): { token: string; expiresAt: Date } | undefined {
  return authenticatedAs(request).session;
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

export function rateLimited(what: string, retryAfterSeconds: number): DomainError {
  return new DomainError('RATE_LIMITED', what, { retryAfterSeconds });
}

/** What `authenticate` admits. */
export interface AuthOptions {
  /** The org's balance is read in the same statement as the key (GET /v1/credits). */
  withCredits?: boolean;
  /**
   * Only a dashboard session cookie, whatever else the request carries (the session's own routes,
   * GET and DELETE /v1/dashboard/session); otherwise a bearer key, or the cookie when there is none.
   */
  sessionOnly?: boolean;
}

/** Methods that change nothing: a session may call them without its CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Runs before the body is read, so an unauthenticated caller never gets as far as body parsing. Order:
 * who is calling (401), may they call at all (503 KILL_SWITCH), did a session's change come from its own
 * page (403 CSRF_TOKEN_INVALID), are they calling too fast (429). `withCredits`: the org's balance is read
 * in the same statement as the key or session (one round trip for GET /v1/credits); nothing of it is kept
 * for a request that fails any of the checks.
 *
 * A request with an Authorization header is judged by it alone: a partner's key is never mixed up with a
 * browser session that happens to share its cookie jar. Without one, the dashboard's `lb_session` cookie
 * authenticates as the key that opened the session.
 */
export function authenticate(db: Db, limits: AuthLimits, opts: AuthOptions = {}): onRequestHookHandler {
  return async (request, reply) => {
    const header = opts.sessionOnly ? undefined : request.headers.authorization;
    const cookie = header === undefined ? request.cookies[SESSION_COOKIE] : undefined;
    if (header === undefined && cookie === undefined) {
      throw new DomainError(
        'UNAUTHENTICATED',
        opts.sessionOnly
          ? 'sign in to the dashboard first (POST /v1/dashboard/session)'
          : 'send the API key as "Authorization: Bearer <key>" or sign in to the dashboard',
      );
    }
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (header !== undefined && !token) {
      throw new DomainError('UNAUTHENTICATED', 'send the API key as "Authorization: Bearer <key>"');
    }
    const client = limits.failuresPerClient.check(request.ip);
    if (!client.allowed) {
      throw rateLimited('too many failed authentications from this client', client.retryAfterSeconds);
    }
    const auth: Authentication<{ balance?: BalanceRow; session?: SessionRead['session'] }> =
      cookie !== undefined
        ? await authenticateSession(db, cookie, opts)
        : opts.withCredits
          ? await authenticateApiKeyWithBalance(db, token!)
          : await authenticateApiKey(db, token!);
    if (!auth.ok && auth.reason === 'invalid') {
      limits.failuresPerClient.take(request.ip);
      if (cookie === undefined) throw new DomainError('UNAUTHENTICATED', 'invalid API key');
      // The browser stops sending a cookie that can never work again.
      clearSessionCookie(request, reply);
      throw new DomainError(
        'UNAUTHENTICATED',
        'the dashboard session expired or was signed out; sign in again',
      );
    }
    callers.set(request, auth.identity.orgId);
    if (!auth.ok) {
      const what =
        auth.reason === 'key_disabled' ? 'this API key is disabled' : 'this organization is disabled';
      throw new DomainError('KILL_SWITCH', what, { reason: auth.reason });
    }
    const { identity, balance, session } = auth;
    if (session && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (!csrfTokenMatches(typeof sent === 'string' ? sent : undefined, session.csrfTokenHash)) {
        throw new DomainError(
          'CSRF_TOKEN_INVALID',
          `a dashboard session's changes need its CSRF token in the ${CSRF_HEADER} header`,
        );
      }
    }
    // Both buckets are checked before either is spent, so a refusal by one costs the other nothing.
    const { prefix, orgId } = identity;
    const perKey = limits.perKey.check(prefix);
    if (!perKey.allowed) throw rateLimited('too many requests for this API key', perKey.retryAfterSeconds);
    const perOrg = limits.perOrg.check(orgId);
    if (!perOrg.allowed) {
      throw rateLimited('too many requests for this organization', perOrg.retryAfterSeconds);
    }
    limits.perKey.take(prefix);
    limits.perOrg.take(orgId);
    const sessionOf =
      session && cookie !== undefined ? { token: cookie, expiresAt: session.expiresAt } : undefined;
    if (!opts.withCredits) {
      authenticated.set(request, { identity, session: sessionOf });
      return;
    }
    const credits = balance ? snapshotOfBalance(identity, balance, await formatEstimates(db)) : null;
    authenticated.set(request, { identity, credits, session: sessionOf });
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
