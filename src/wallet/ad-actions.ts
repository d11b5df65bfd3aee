import { sql } from 'kysely';
import type { AdActionProject, AdPlatforms } from '../ads/platform';
import type { Db } from '../db/pool';
import { adActionKey } from './ids';
import { notifyOrg } from './notifications';
import { AD_PLATFORMS, type AdAction, type AdActionReason } from './statuses';

export interface AdActionInput {
  orgId: string;
  action: AdAction;
  reason: AdActionReason;
  /** Business time of the decision: names it, so every retry is the same pause or resume. */
  at: Date;
}

export interface AdActionRecord {
  key: string;
  action: AdAction;
  reason: AdActionReason;
  balanceCents: number;
  floorCents: number;
  projects: AdActionProject[];
  decidedAt: string;
}

/**
 * Pauses or resumes an org's agency campaigns on every platform the wallet pays, for every project of the
 * org, then records it: the wallet's ads_paused flag, the wallet_ad_actions row with the reason and the
 * balance that decided it, and the org's notification, in one transaction. The platforms are asked first
 * and each request carries a key derived from the decision, so a retry after a platform outage (or after
 * the worker died between the platforms and the record) asks again without changing anything twice. A
 * decision already recorded is answered from its record.
 */
export async function applyAdAction(
  db: Db,
  platforms: AdPlatforms,
  input: AdActionInput,
): Promise<AdActionRecord> {
  const key = adActionKey(input.orgId, input.action, input.at);
  const done = await findAdAction(db, input.orgId, key);
  if (done) return done;

  const projects = await db
    .selectFrom('projects')
    .select('id')
    .where('org_id', '=', input.orgId)
    .orderBy('id')
    .execute();
  const confirmed: AdActionProject[] = [];
  for (const { id: projectId } of projects) {
    for (const platform of AD_PLATFORMS) {
      const request = { orgId: input.orgId, projectId, requestKey: `${key}:${platform}:${projectId}` };
      const answer =
        input.action === 'pause'
          ? await platforms[platform].pauseProject(request)
          : await platforms[platform].resumeProject(request);
      confirmed.push({ projectId, platform, campaigns: answer.campaigns });
    }
  }

  await db.transaction().execute(async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select(['balance_cents', 'floor_cents'])
      .where('org_id', '=', input.orgId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const inserted = await trx
      .insertInto('wallet_ad_actions')
      .values({
        org_id: input.orgId,
        business_key: key,
        action: input.action,
        reason: input.reason,
        balance_cents: wallet.balance_cents,
        floor_cents: wallet.floor_cents,
        projects: JSON.stringify(confirmed),
        decided_at: input.at,
      })
      .onConflict((oc) => oc.columns(['org_id', 'business_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    const paused = input.action === 'pause';
    await trx
      .updateTable('wallets')
      .set({
        ads_paused: paused,
        ads_paused_reason: paused ? input.reason : null,
        ads_paused_at: paused ? input.at : null,
        updated_at: sql<Date>`now()`,
      })
      .where('org_id', '=', input.orgId)
      .execute();
    await notifyOrg(trx, {
      orgId: input.orgId,
      kind: paused ? 'wallet_ads_paused' : 'wallet_ads_resumed',
      businessKey: key,
      payload: {
        reason: input.reason,
        balanceCents: wallet.balance_cents,
        floorCents: wallet.floor_cents,
        projects: projects.length,
      },
      at: input.at,
    });
  });
  return (await findAdAction(db, input.orgId, key))!;
}

async function findAdAction(db: Db, orgId: string, key: string): Promise<AdActionRecord | undefined> {
  const row = await db
    .selectFrom('wallet_ad_actions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('business_key', '=', key)
    .executeTakeFirst();
  return row && toAdAction(row);
}

/** The org's pauses and resumes, newest first: why its ads stopped and when they came back. */
export async function listAdActions(db: Db, orgId: string, limit = 50): Promise<AdActionRecord[]> {
  const rows = await db
    .selectFrom('wallet_ad_actions')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('decided_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toAdAction);
}

const toAdAction = (row: {
  business_key: string;
  action: AdAction;
  reason: AdActionReason;
  balance_cents: number;
  floor_cents: number;
  projects: AdActionProject[];
  decided_at: Date;
}): AdActionRecord => ({
  key: row.business_key,
  action: row.action,
  reason: row.reason,
  balanceCents: row.balance_cents,
  floorCents: row.floor_cents,
  projects: row.projects,
  decidedAt: row.decided_at.toISOString(),
});
