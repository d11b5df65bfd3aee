import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { createApiKey, sha256 } from './api-keys';
import { isWellFormedToken, newToken, openSession, type OpenedSession } from './sessions';

/**
 * One-time sign-in links: `/dashboard/sign-in?token=<t>` opens a dashboard session without pasting a
 * key (npm run dev's banner, `layers-billing dashboard link`). A link names the key its session will act
 * as; it works once, until it expires, and only while that key and its org are enabled and the key still
 * carries the dashboard scope. Only the token's hash is stored.
 */
export const DEFAULT_SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;
export const SIGN_IN_PATH = '/dashboard/sign-in';

export interface SignInLink {
  token: string;
  expiresAt: Date;
}

export async function createSignInLink(
  db: Db,
  key: { orgId: string; prefix: string },
  ttlMs: number = DEFAULT_SIGN_IN_LINK_TTL_MS,
): Promise<SignInLink> {
  const token = newToken();
  const { expires_at } = await db
    .insertInto('dashboard_sign_in_links')
    .values({
      token_hash: sha256(token),
      org_id: key.orgId,
      api_key_prefix: key.prefix,
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlMs / 1000})`,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return { token, expiresAt: expires_at };
}

/** The URL of a link on an API served at `baseUrl` (`http://127.0.0.1:3000`). */
export const signInUrl = (baseUrl: string, token: string): string =>
  `${baseUrl.replace(/\/+$/, '')}${SIGN_IN_PATH}?token=${token}`;

/**
 * Spends the link and opens its session, in one transaction: a link is used at most once however many
 * tabs open it at the same moment (the UPDATE's row lock decides), and a failure to open the session
 * leaves it unspent. Undefined for an unknown, used or expired link, or one whose key can no longer sign
 * in.
 */
export async function redeemSignInLink(
  db: Db,
  token: string,
  sessionTtlMs?: number,
): Promise<(OpenedSession & { orgId: string }) | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  return db.transaction().execute(async (trx) => {
    const link = await trx
      .updateTable('dashboard_sign_in_links')
      .set({ used_at: sql<Date>`now()` })
      .where('token_hash', '=', sha256(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['org_id', 'api_key_prefix'])
      .executeTakeFirst();
    if (!link) return undefined;
    const key = await trx
      .selectFrom('api_keys as k')
      .innerJoin('organizations as o', 'o.id', 'k.org_id')
      .select(['k.prefix', 'k.org_id'])
      .where('k.prefix', '=', link.api_key_prefix)
      .where('k.disabled', '=', false)
      .where('o.disabled', '=', false)
      .where(sql<boolean>`'dashboard' = ANY(k.scopes)`)
      .executeTakeFirst();
    if (!key) return undefined;
    const session = await openSession(trx, { orgId: key.org_id, prefix: key.prefix }, sessionTtlMs);
    return { ...session, orgId: key.org_id };
  });
}

/**
 * The key an org's sign-in links act as: the newest enabled key with the dashboard scope, or a new one
 * made by `create` when it has none (its secret is never shown: it exists to be the session's identity,
 * and can be disabled by its prefix like any key). `create` lets the CLI record the new key in the
 * audit trail.
 */
export async function dashboardKeyOf(
  db: Db,
  orgId: string,
  create: (orgId: string) => Promise<{ prefix: string }> = (id) =>
    createApiKey(db, id, { scopes: ['dashboard'] }),
): Promise<{ orgId: string; prefix: string; created: boolean }> {
  const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  const existing = await db
    .selectFrom('api_keys')
    .select('prefix')
    .where('org_id', '=', orgId)
    .where('disabled', '=', false)
    .where(sql<boolean>`'dashboard' = ANY(scopes)`)
    .orderBy('created_at', 'desc')
    .orderBy('prefix', 'desc')
    .executeTakeFirst();
  if (existing) return { orgId, prefix: existing.prefix, created: false };
  const created = await create(orgId);
  return { orgId, prefix: created.prefix, created: true };
}
