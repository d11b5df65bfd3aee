import type { Db } from '../db/pool';
import { requireProjectAllowed } from '../billing/limits';
import { periodContaining } from '../billing/period';
import { requireTier } from '../billing/tiers';
import { requireNonEmpty } from '../credits/amounts';
import { getCreditsSnapshot, grantCredits } from '../credits/ledger';
import type { CreditsSnapshot } from '../credits/snapshot';
import { DomainError, invalid, notFound } from '../errors';
import { newId } from '../ids';
import { openWallet } from '../wallet/wallets';
import { BILLING_MODES, type BillingMode } from './statuses';

export interface CreateOrgInput {
  name: string;
  tier: string;
  mode?: BillingMode;
  /** The billing anniversary; defaults to now. */
  anchor?: Date;
  projectName?: string;
}

export interface CreatedOrg {
  orgId: string;
  projectId: string;
  credits: CreditsSnapshot;
}

/**
 * Opens an org with its default project, its balance row for the current period, and the tier's
 * included allowance for that period as a ledger grant (so the ledger explains the opening balance);
 * an agency-mode org also gets its (empty) ad-spend wallet.
 */
export async function createOrganization(db: Db, input: CreateOrgInput): Promise<CreatedOrg> {
  const name = requireNonEmpty('name', input.name);
  const mode = input.mode ?? 'byo';
  if (!BILLING_MODES.includes(mode)) throw invalid('mode', `must be ${BILLING_MODES.join(' or ')}`);
  const anchor = input.anchor ?? new Date();
  const tier = await db.selectFrom('tiers').selectAll().where('id', '=', input.tier).executeTakeFirst();
  if (!tier)
    throw new DomainError('VALIDATION_FAILED', `tier: unknown tier ${input.tier}`, { field: 'tier' });

  const orgId = newId('org');
  const projectId = newId('prj');
  const period = periodContaining(anchor, anchor);
  // One transaction, so an org never exists without its balance row and its opening allowance.
  const credits = await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('organizations')
      .values({ id: orgId, name, tier_id: tier.id, billing_mode: mode, billing_anchor: anchor })
      .execute();
    await trx
      .insertInto('projects')
      .values({ id: projectId, org_id: orgId, name: input.projectName ?? 'Default' })
      .execute();
    await trx
      .insertInto('credit_balances')
      .values({ org_id: orgId, period_start: period.start, period_end: period.end })
      .execute();
    if (mode === 'agency') await openWallet(trx, orgId);
    if (tier.included_credits_per_period === 0) return getCreditsSnapshot(trx, orgId);
    const granted = await grantCredits(trx, {
      orgId,
      bucket: 'included',
      credits: tier.included_credits_per_period,
      idempotencyKey: `period:${period.start.toISOString()}:included`,
      reason: `${tier.name} allowance`,
    });
    return granted.credits;
  });
  return { orgId, projectId, credits };
}

/**
 * Adds a project unless the org's tier allows no more (403 PLAN_LIMIT_REACHED, src/billing/limits.ts).
 * The org's row is locked while its projects are counted, so concurrent creations (and a plan change,
 * which updates that row) take turns: two requests can never both see room for one more project.
 */
export async function createProject(db: Db, orgId: string, name: string): Promise<{ projectId: string }> {
  const projectName = requireNonEmpty('name', name);
  const projectId = newId('prj');
  await db.transaction().execute(async (trx) => {
    const org = await trx
      .selectFrom('organizations')
      .select('tier_id')
      .where('id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!org) throw notFound('organization', orgId);
    const { n } = await trx
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    requireProjectAllowed(requireTier(org.tier_id), Number(n));
    await trx.insertInto('projects').values({ id: projectId, org_id: orgId, name: projectName }).execute();
  });
  return { projectId };
}

/**
 * NOT_FOUND unless the org exists: for readers whose answer for an unknown org would otherwise be an
 * empty list (the admin CLI's `invoice list`), which would not tell a typo from an org with nothing yet.
 */
export async function requireOrganization(db: Db, orgId: string): Promise<void> {
  const org = await db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
}
