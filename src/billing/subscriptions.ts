import type { Db } from '../db/pool';
import { inTransaction } from '../db/transaction';
import type { BillingStatus } from '../orgs/statuses';
import { notFound } from '../errors';
import type { Period } from './period';
import type { Plan, Subscription } from './subscription';
import type { TierId } from './tiers';

/**
 * The subscription as readers see it: written by the org-billing workflow's activities after every change
 * it makes (the workflow is the source of truth), read by the API and the CLI without asking Temporal.
 * The tier and status live on organizations, which the credit snapshot and the capture rule read.
 */

export interface SavedSubscription extends Subscription {
  orgId: string;
  /** Business time of the change that wrote this. */
  changedAt: Date;
}

export async function saveSubscription(db: Db, s: SavedSubscription): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable('organizations')
      .set({ tier_id: s.tier, billing_status: s.status, billing_anchor: s.anchor })
      .where('id', '=', s.orgId)
      .execute();
    const row = {
      billing_interval: s.interval,
      seats: s.seats,
      renewal_anchor: s.anchor,
      period_start: s.period.start,
      period_end: s.period.end,
      cancel_at_period_end: s.cancelAtPeriodEnd,
      scheduled_change: s.scheduledChange ? JSON.stringify(s.scheduledChange) : null,
      changed_at: s.changedAt,
      updated_at: new Date(),
    };
    await trx
      .insertInto('subscriptions')
      .values({ org_id: s.orgId, ...row })
      .onConflict((oc) =>
        // A retried save of an older change never overwrites a newer one.
        oc.column('org_id').doUpdateSet(row).where('subscriptions.changed_at', '<=', s.changedAt),
      )
      .execute();
  });
}

/**
 * The read model of a workflow just started, so that GET /v1/subscription answers before the workflow's
 * first change. Never overwrites: a row that exists was written by the workflow (or an earlier start),
 * and it knows better. Written apart from the workflow's own saves, so it leaves organizations alone.
 */
export async function saveInitialSubscription(db: Db, s: SavedSubscription): Promise<void> {
  await db
    .insertInto('subscriptions')
    .values({
      org_id: s.orgId,
      billing_interval: s.interval,
      seats: s.seats,
      renewal_anchor: s.anchor,
      period_start: s.period.start,
      period_end: s.period.end,
      cancel_at_period_end: s.cancelAtPeriodEnd,
      scheduled_change: s.scheduledChange ? JSON.stringify(s.scheduledChange) : null,
      changed_at: s.changedAt,
    })
    .onConflict((oc) => oc.column('org_id').doNothing())
    .execute();
}

export async function findSubscription(db: Db, orgId: string): Promise<SavedSubscription | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .innerJoin('organizations', 'organizations.id', 'subscriptions.org_id')
    .select([
      'subscriptions.org_id',
      'organizations.tier_id',
      'organizations.billing_status',
      'subscriptions.billing_interval',
      'subscriptions.seats',
      'subscriptions.renewal_anchor',
      'subscriptions.period_start',
      'subscriptions.period_end',
      'subscriptions.cancel_at_period_end',
      'subscriptions.scheduled_change',
      'subscriptions.changed_at',
    ])
    .where('subscriptions.org_id', '=', orgId)
    .executeTakeFirst();
  if (!row) return undefined;
  const period: Period = { start: row.period_start, end: row.period_end };
  return {
    orgId: row.org_id,
    tier: row.tier_id as TierId,
    interval: row.billing_interval,
    seats: row.seats,
    status: row.billing_status as BillingStatus,
    anchor: row.renewal_anchor,
    period,
    scheduledChange: (row.scheduled_change as Plan | null) ?? null,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    changedAt: row.changed_at,
  };
}

export async function getSubscription(db: Db, orgId: string): Promise<SavedSubscription> {
  const s = await findSubscription(db, orgId);
  if (!s) throw notFound('subscription', orgId);
  return s;
}
