import {
  createApiKey,
  disableApiKey,
  prefixOf,
  setOrganizationDisabled,
  type CreatedApiKey,
} from '../auth/api-keys';
import { grantCredits, type GrantInput } from '../credits/ledger';
import type { CreditsSnapshot } from '../credits/snapshot';
import type { Db } from '../db/pool';
import type { AuditActor, AuditedBy } from './actors';
import { audited } from './trail';

/**
 * The admin CLI's actions on keys, the kill switch and credits, audited in the transaction that makes
 * them. Keys are named by their public prefix only: the secret never reaches the trail.
 */

const keyOf = (prefix: string) => `api_key:${prefix}`;

export function createApiKeyAudited(
  db: Db,
  by: AuditActor,
  orgId: string,
  opts: { scopes?: readonly string[] } = {},
): Promise<CreatedApiKey> {
  return audited(
    db,
    orgId,
    (trx) => createApiKey(trx, orgId, opts),
    (k) => ({
      actor: by,
      action: 'api_key.created',
      key: keyOf(k.prefix),
      after: { prefix: k.prefix, scopes: k.scopes },
    }),
  );
}

/** Recorded once, when the key goes from enabled to disabled. */
export async function disableApiKeyAudited(db: Db, by: AuditActor, keyOrPrefix: string) {
  const row = await db
    .selectFrom('api_keys')
    .select(['org_id', 'prefix'])
    .where('prefix', '=', prefixOf(keyOrPrefix) ?? keyOrPrefix)
    .executeTakeFirst();
  // Unknown or malformed: disableApiKey says which, and there is nothing to record.
  if (!row) return disableApiKey(db, keyOrPrefix);
  let wasDisabled = false;
  return audited(
    db,
    row.org_id,
    async (trx) => {
      wasDisabled = (
        await trx
          .selectFrom('api_keys')
          .select('disabled')
          .where('prefix', '=', row.prefix)
          .executeTakeFirstOrThrow()
      ).disabled;
      return disableApiKey(trx, row.prefix);
    },
    (r) =>
      wasDisabled
        ? null
        : {
            actor: by,
            action: 'api_key.disabled',
            key: keyOf(r.prefix),
            before: { disabled: false },
            after: { disabled: true },
          },
  );
}

/** The org's kill switch: recorded when it moves. */
export function setOrganizationDisabledAudited(db: Db, by: AuditedBy, orgId: string, disabled: boolean) {
  let was: boolean | undefined;
  return audited(
    db,
    orgId,
    async (trx) => {
      const org = await trx
        .selectFrom('organizations')
        .select('disabled')
        .where('id', '=', orgId)
        .executeTakeFirst();
      was = org?.disabled;
      return setOrganizationDisabled(trx, orgId, disabled);
    },
    () =>
      was === disabled
        ? null
        : {
            ...by,
            action: disabled ? 'org.disabled' : 'org.enabled',
            before: { disabled: was },
            after: { disabled },
          },
  );
}

/** `credits grant`: once per grant key, with the grant. */
export function grantCreditsAudited(
  db: Db,
  by: AuditActor,
  input: GrantInput,
): Promise<{ duplicate: boolean; credits: CreditsSnapshot }> {
  return audited(
    db,
    input.orgId,
    (trx) => grantCredits(trx, input),
    (r) =>
      r.duplicate
        ? null
        : {
            actor: by,
            action: 'credits.granted',
            key: input.idempotencyKey,
            after: { bucket: input.bucket, credits: input.credits, reason: input.reason ?? null },
          },
  );
}
