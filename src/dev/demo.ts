import type { Db } from '../db/pool';
import { getCreditsSnapshot, grantCredits } from '../credits/ledger';
import { createOrganization } from '../orgs/orgs';

const DEMO_NAME = 'Demo org';

/** The reference example's numbers: a pro org with prepaid credits. Created once, found afterwards. */
export async function ensureDemoOrg(db: Db) {
  const existing = await db
    .selectFrom('organizations')
    .innerJoin('projects', 'projects.org_id', 'organizations.id')
    .select(['organizations.id as orgId', 'projects.id as projectId'])
    .where('organizations.name', '=', DEMO_NAME)
    .orderBy('projects.created_at')
    .executeTakeFirst();
  if (existing) return { ...existing, created: false, credits: await getCreditsSnapshot(db, existing.orgId) };
  const org = await createOrganization(db, { name: DEMO_NAME, tier: 'pro', mode: 'agency' });
  const { credits } = await grantCredits(db, {
    orgId: org.orgId,
    bucket: 'prepaid',
    credits: 5400,
    idempotencyKey: 'demo:prepaid',
  });
  return { orgId: org.orgId, projectId: org.projectId, created: true, credits };
}
