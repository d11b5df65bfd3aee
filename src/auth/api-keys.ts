import crypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BALANCE_COLUMNS, balanceRowOf, type BalanceRow, type Nullable } from '../credits/snapshot';
import { batchedLookup } from '../db/batch';
import { preparedStatement, type Db } from '../db/pool';
import { notFound } from '../errors';
import type { BillingStatus } from '../orgs/statuses';
import { requireScopes, type ApiKeyScope } from './scopes';

/**
 * Partner API keys: `lb_live_<16 hex>_<43 base64url>`. The first part (`lb_live_<16 hex>`) is the public
 * prefix a key is looked up by; the rest is 256 random bits that only the caller ever holds.
 *
 * We store SHA-256 of the whole key, not a slow password hash: slow hashes (bcrypt, scrypt, argon2)
 * exist to make guessing low-entropy passwords expensive, and there is nothing to guess in 256 random
 * bits, so a fast hash is just as safe against a leaked table and keeps authentication off the CPU
 * budget of every request.
 */
export const API_KEY_PREFIX = 'lb_live_';

const KEY_PATTERN = /^(lb_live_[0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
const PREFIX_PATTERN = /^lb_live_[0-9a-f]{16}$/;

export interface CreatedApiKey {
  orgId: string;
  /** The full key: shown once, never stored. */
  apiKey: string;
  prefix: string;
  scopes: ApiKeyScope[];
}

export interface ApiKeyIdentity {
  orgId: string;
  orgName: string;
  tier: string;
  prefix: string;
  /** The subscription's status (organizations.billing_status): paused and canceled orgs cannot generate. */
  billingStatus: BillingStatus;
  /** What the key may do beyond the partner API (src/auth/scopes.ts); empty for a partner key. */
  scopes: readonly ApiKeyScope[];
}

/** `Read`: what was read with the key, returned only once the key is verified and enabled. */
export type Authentication<Read extends object = object> =
  | ({ ok: true; identity: ApiKeyIdentity } & Read)
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'key_disabled' | 'org_disabled'; identity: ApiKeyIdentity };

// crypto.hash (Node >= 20.12), the one-shot form, costs about half of createHash: it runs per request.
export const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'buffer')
    : (text) => createHash('sha256').update(text, 'utf8').digest();

/** Compared against when the prefix is unknown, so a miss costs the same work as a hit. */
const DUMMY_HASH = sha256('lb_live_0000000000000000_not-a-key');

export function generateApiKey(): { apiKey: string; prefix: string; secretHash: Buffer } {
  const prefix = `${API_KEY_PREFIX}${randomBytes(8).toString('hex')}`;
  const apiKey = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { apiKey, prefix, secretHash: sha256(apiKey) };
}

/** The public prefix of a well-formed key, or undefined for anything else. */
export function prefixOf(apiKey: string): string | undefined {
  return KEY_PATTERN.exec(apiKey)?.[1];
}

/** A partner key, or with `scopes` one that may also call the routes that require them. */
export async function createApiKey(
  db: Db,
  orgId: string,
  opts: { scopes?: readonly string[] } = {},
): Promise<CreatedApiKey> {
  const scopes = requireScopes(opts.scopes ?? []);
  const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  const { apiKey, prefix, secretHash } = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({ prefix, org_id: orgId, secret_hash: secretHash, scopes })
    .execute();
  return { orgId, apiKey, prefix, scopes };
}

/** Accepts the prefix or the whole key (an operator may paste either); disabling twice is a no-op. */
export async function disableApiKey(
  db: Db,
  keyOrPrefix: string,
): Promise<{ orgId: string; prefix: string; disabled: true }> {
  const prefix = PREFIX_PATTERN.test(keyOrPrefix) ? keyOrPrefix : prefixOf(keyOrPrefix);
  if (!prefix) throw notFound('api key', keyOrPrefix.slice(0, API_KEY_PREFIX.length + 16));
  const row = await db
    .updateTable('api_keys')
    .set((eb) => ({ disabled: true, disabled_at: eb.fn.coalesce('disabled_at', eb.fn<Date>('now', [])) }))
    .where('prefix', '=', prefix)
    .returning(['org_id', 'prefix'])
    .executeTakeFirst();
  if (!row) throw notFound('api key', prefix);
  return { orgId: row.org_id, prefix: row.prefix, disabled: true };
}

/** The org-wide kill switch: every key of a disabled org gets 503 KILL_SWITCH until it is enabled again. */
export async function setOrganizationDisabled(
  db: Db,
  orgId: string,
  disabled: boolean,
): Promise<{ orgId: string; disabled: boolean }> {
  const row = await db
    .updateTable('organizations')
    .set({ disabled })
    .where('id', '=', orgId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw notFound('organization', orgId);
  return { orgId, disabled };
}

export interface KeyRow {
  prefix: string;
  secret_hash: Buffer;
  disabled: boolean;
  org_id: string;
  name: string;
  tier_id: string;
  org_disabled: boolean;
  billing_status: string;
  scopes: ApiKeyScope[];
}

// Every authenticated request starts with one of these, so they are prepared statements (planning the
// join cost PostgreSQL several times what executing it does) and batched: see batchedLookup.
// The scopes ride along on the key's row: checking one costs the request no second statement.
export const KEY_COLUMNS =
  'k.prefix, k.secret_hash, k.disabled, k.scopes, o.id AS org_id, o.name, o.tier_id, o.disabled AS org_disabled';
const KEY_FROM = 'api_keys k JOIN organizations o ON o.id = k.org_id';
const BY_PREFIXES = 'WHERE k.prefix = ANY($1::text[])';
// The status rides along for free on the row already read; BALANCE_COLUMNS carries it in the other.
const lookupKey = batchedLookup<KeyRow>(
  preparedStatement(`SELECT ${KEY_COLUMNS}, o.billing_status FROM ${KEY_FROM} ${BY_PREFIXES}`),
  (row) => row.prefix,
);
const lookupKeyAndBalance = batchedLookup<KeyRow & Nullable<BalanceRow>>(
  preparedStatement(
    `SELECT ${KEY_COLUMNS}, ${BALANCE_COLUMNS} FROM ${KEY_FROM} ` +
      `LEFT JOIN credit_balances b ON b.org_id = o.id ${BY_PREFIXES}`,
  ),
  (row) => row.prefix,
);

/**
 * One indexed read by prefix, then a constant-time comparison of hashes. Comparing hashes (not the keys
 * themselves) also makes both sides the same length, which timingSafeEqual requires.
 */
export function authenticateApiKey(db: Db, apiKey: string): Promise<Authentication> {
  return verify(db, apiKey, lookupKey, () => ({}));
}

/**
 * authenticateApiKey, also reading the org's credit balance in the same statement, so that a route
 * answering with it (GET /v1/credits) costs one round trip instead of two. `balance` is undefined for an
 * org without a balance row.
 */
export function authenticateApiKeyWithBalance(
  db: Db,
  apiKey: string,
): Promise<Authentication<{ balance: BalanceRow | undefined }>> {
  return verify(db, apiKey, lookupKeyAndBalance, (row) => ({ balance: balanceRowOf(row) }));
}

/** The one verification both lookups share; `read` sees the row only for a valid, enabled key. */
async function verify<Row extends KeyRow, Read extends object>(
  db: Db,
  apiKey: string,
  lookup: (db: Db, prefix: string) => Promise<Row | undefined>,
  read: (row: Row) => Read,
): Promise<Authentication<Read>> {
  const prefix = prefixOf(apiKey);
  const row = prefix ? await lookup(db, prefix) : undefined;
  const matches = timingSafeEqual(sha256(apiKey), row?.secret_hash ?? DUMMY_HASH);
  if (!row || !matches) return { ok: false, reason: 'invalid' };
  return identityOfKey(row, read);
}

/**
 * What a key's row (KEY_COLUMNS and billing_status) authenticates as, once whoever presented it proved
 * they may use it: the key itself, or a dashboard session the key opened (src/auth/sessions.ts).
 */
export function identityOfKey<Row extends KeyRow, Read extends object>(
  row: Row,
  read: (row: Row) => Read,
): Authentication<Read> {
  const identity: ApiKeyIdentity = {
    orgId: row.org_id,
    orgName: row.name,
    tier: row.tier_id,
    prefix: row.prefix,
    billingStatus: row.billing_status as BillingStatus,
    scopes: row.scopes,
  };
  if (row.disabled) return { ok: false, reason: 'key_disabled', identity };
  if (row.org_disabled) return { ok: false, reason: 'org_disabled', identity };
  return { ok: true, identity, ...read(row) };
}
