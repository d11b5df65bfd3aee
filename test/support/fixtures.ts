import type { Db } from '../../src/db/pool';
import { createApiKey } from '../../src/auth/api-keys';
import { grantCredits } from '../../src/credits/ledger';
import { createOrganization } from '../../src/orgs/orgs';

let seq = 0;

/** An org on `tier` (its allowance granted as included credits) plus `prepaid` purchased credits. */
export async function makeOrg(db: Db, opts: { tier?: string; prepaid?: number; anchor?: Date } = {}) {
  const org = await createOrganization(db, {
    name: `Test org ${++seq}`,
    tier: opts.tier ?? 'free',
    anchor: opts.anchor,
  });
  if (opts.prepaid) {
    await grantCredits(db, {
      orgId: org.orgId,
      bucket: 'prepaid',
      credits: opts.prepaid,
      idempotencyKey: `test:prepaid:${org.orgId}`,
    });
  }
  return org;
}

/** makeOrg, plus an API key of the org: what a caller of the API needs. */
export async function makeOrgWithKey(db: Db, opts: { tier?: string; prepaid?: number } = {}) {
  const org = await makeOrg(db, opts);
  const key = await createApiKey(db, org.orgId);
  return { orgId: org.orgId, projectId: org.projectId, apiKey: key.apiKey, prefix: key.prefix };
}

/**
 * API limits lifted out of the way, for tests and benchmarks that measure or exercise something else:
 * every limit the API has (src/api/server.ts authLimitsOf), so a new one cannot quietly throttle them.
 */
export const NO_RATE_LIMITS = {
  rateLimitPerSecond: 1e9,
  rateLimitBurst: 1e9,
  orgRateLimitPerSecond: 1e9,
  orgRateLimitBurst: 1e9,
  authFailuresPerSecond: 1e9,
  authFailureBurst: 1e9,
} as const;

export async function ledgerRowCount(db: Db, orgId?: string): Promise<number> {
  let q = db.selectFrom('credit_ledger').select((eb) => eb.fn.countAll<string>().as('n'));
  if (orgId) q = q.where('org_id', '=', orgId);
  const { n } = await q.executeTakeFirstOrThrow();
  return Number(n);
}

/** Everything a write could touch, to prove that a refused operation wrote nothing. */
export async function fingerprint(db: Db) {
  const [
    balances,
    ledger,
    generations,
    reservations,
    organizations,
    apiKeys,
    idempotencyKeys,
    projects,
    subscriptions,
    charges,
    alerts,
  ] = await Promise.all([
    db.selectFrom('credit_balances').selectAll().orderBy('org_id').execute(),
    ledgerRowCount(db),
    db.selectFrom('generations').select(['id', 'status']).orderBy('id').execute(),
    db.selectFrom('reservations').select(['generation_id', 'status']).orderBy('generation_id').execute(),
    db
      .selectFrom('organizations')
      .select(['id', 'disabled', 'billing_status', 'tier_id'])
      .orderBy('id')
      .execute(),
    db.selectFrom('api_keys').select(['prefix', 'disabled']).orderBy('prefix').execute(),
    db
      .selectFrom('idempotency_keys')
      .select(['org_id', 'key', 'status'])
      .orderBy('org_id')
      .orderBy('key')
      .execute(),
    db.selectFrom('projects').select(['id', 'org_id']).orderBy('id').execute(),
    db.selectFrom('subscriptions').selectAll().orderBy('org_id').execute(),
    db.selectFrom('billing_charges').selectAll().orderBy('business_key').execute(),
    db.selectFrom('credit_alerts').selectAll().orderBy('org_id').execute(),
  ]);
  return {
    balances,
    ledger,
    generations,
    reservations,
    organizations,
    apiKeys,
    idempotencyKeys,
    projects,
    subscriptions,
    charges,
    alerts,
  };
}
