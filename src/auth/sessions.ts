import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { DEFAULT_DASHBOARD_SESSION_TTL_MS } from '../config';
import { BALANCE_COLUMNS, balanceRowOf, type BalanceRow, type Nullable } from '../credits/snapshot';
import { preparedStatement, type Db } from '../db/pool';
import {
  identityOfKey,
  KEY_COLUMNS,
  sha256,
  type ApiKeyIdentity,
  type Authentication,
  type KeyRow,
} from './api-keys';

/**
 * Dashboard sessions: a browser signs in once with an API key that carries the `dashboard` scope (or a
 * one-time link, src/auth/sign-in-links.ts) and from then on sends an opaque token in the `lb_session`
 * cookie instead of the key. The session acts as the key that opened it, with that key's scopes, and
 * ends with it: a disabled key or org refuses its sessions as it refuses the key.
 *
 * Tokens are 256 random bits, stored only as SHA-256 (the same reasoning as for API keys: nothing to
 * guess, so a fast hash is as safe as a slow one). The CSRF token is derived from the session token by
 * a one-way hash, so the server can hand it out again to a reloaded page (GET /v1/dashboard/session)
 * without storing it, and a page that can read it learns nothing of the cookie's token.
 */
export const SESSION_COOKIE = 'lb_session';
export const CSRF_HEADER = 'x-csrf-token';

/** 32 random bytes as base64url: 43 characters of [A-Za-z0-9_-]. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const newToken = (): string => randomBytes(32).toString('base64url');

export const isWellFormedToken = (token: string): boolean => TOKEN_PATTERN.test(token);

/** The CSRF token bound to a session token; the domain prefix keeps it from being any other hash of it. */
export const csrfTokenOf = (sessionToken: string): string =>
  sha256(`layers-dashboard-csrf:${sessionToken}`).toString('base64url');

export interface OpenedSession {
  /** The cookie's value: shown to the browser once, never stored. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A session for a key that was just verified (or a sign-in link that named it), valid for `ttlMs`. */
export async function openSession(
  db: Db,
  identity: Pick<ApiKeyIdentity, 'orgId' | 'prefix'>,
  ttlMs: number = DEFAULT_DASHBOARD_SESSION_TTL_MS,
): Promise<OpenedSession> {
  const token = newToken();
  const csrfToken = csrfTokenOf(token);
  const { expires_at } = await db
    .insertInto('dashboard_sessions')
    .values({
      token_hash: sha256(token),
      org_id: identity.orgId,
      api_key_prefix: identity.prefix,
      csrf_token_hash: sha256(csrfToken),
      // The database's clock, which also decides expiry (SESSION_WHERE) and created_at.
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlMs / 1000})`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return { token, csrfToken, expiresAt: expires_at };
}

/** Ends a session (signing out); ending one that is already gone is a no-op. */
export async function closeSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('dashboard_sessions').where('token_hash', '=', sha256(token)).execute();
}

export interface SessionRead {
  session: { csrfTokenHash: Buffer; expiresAt: Date };
}

type SessionRow = KeyRow & { csrf_token_hash: Buffer; expires_at: Date };

const SESSION_FROM =
  'dashboard_sessions s JOIN api_keys k ON k.prefix = s.api_key_prefix JOIN organizations o ON o.id = k.org_id';
const SESSION_WHERE = 'WHERE s.token_hash = $1 AND s.expires_at > now()';
const lookupSession = preparedStatement(
  `SELECT ${KEY_COLUMNS}, o.billing_status, s.csrf_token_hash, s.expires_at FROM ${SESSION_FROM} ${SESSION_WHERE}`,
);
const lookupSessionAndBalance = preparedStatement(
  `SELECT ${KEY_COLUMNS}, ${BALANCE_COLUMNS}, s.csrf_token_hash, s.expires_at FROM ${SESSION_FROM} ` +
    `LEFT JOIN credit_balances b ON b.org_id = o.id ${SESSION_WHERE}`,
);

/**
 * The key a live session acts as, read in one statement (with the org's credit balance when
 * `withCredits`, as authenticateApiKeyWithBalance does). An unknown, signed-out or expired token is
 * `invalid`; a session whose key or org was disabled since answers like that key.
 */
export async function authenticateSession(
  db: Db,
  token: string,
  opts: { withCredits?: boolean } = {},
): Promise<Authentication<SessionRead & { balance?: BalanceRow }>> {
  if (!isWellFormedToken(token)) return { ok: false, reason: 'invalid' };
  const statement = opts.withCredits ? lookupSessionAndBalance : lookupSession;
  const { rows } = await db.executeQuery<SessionRow & Nullable<BalanceRow>>(
    CompiledQuery.raw(statement, [sha256(token)]),
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'invalid' };
  return identityOfKey(row, (r) => ({
    session: { csrfTokenHash: r.csrf_token_hash, expiresAt: r.expires_at },
    ...(opts.withCredits ? { balance: balanceRowOf(r) } : {}),
  }));
}

/** Whether `sent` is the session's CSRF token, compared in constant time (as hashes, of equal length). */
export function csrfTokenMatches(sent: string | undefined, csrfTokenHash: Buffer): boolean {
  return typeof sent === 'string' && timingSafeEqual(sha256(sent), csrfTokenHash);
}
