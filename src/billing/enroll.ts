import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { billingInputFor, type BillingClient, type StartOptions } from './client';
import { billingWorkflowId } from './ids';
import { saveInitialSubscription, type SavedSubscription } from './subscriptions';
import type { BillingWorkflowInput } from '../../workflows/billing.messages';

export interface StartedBilling {
  orgId: string;
  workflowId: string;
  /** false: the org's workflow was already running, and nothing changed. */
  started: boolean;
}

/**
 * Starts an org's billing workflow from what the database holds, and records the subscription for
 * readers until the workflow saves its own. Idempotent: run again, it finds the running workflow.
 * The org's first period is not charged unless asked (`chargeFirstPeriod`): an existing org already
 * has its credits for it, and one opened by an operator has no card yet; renewals are charged.
 */
export async function startOrgBilling(
  db: Db,
  billing: BillingClient,
  orgId: string,
  opts: StartOptions = {},
): Promise<StartedBilling> {
  const input = await billingInputFor(db, orgId, opts);
  const { started } = await billing.start(input);
  await saveInitialSubscription(db, initialSubscription(input));
  return { orgId, workflowId: billingWorkflowId(orgId), started };
}

/** The subscription a workflow starts with, as its read model records it. */
export function initialSubscription(input: BillingWorkflowInput): SavedSubscription {
  const s = input.subscription;
  return {
    ...s,
    orgId: input.orgId,
    anchor: new Date(s.anchor),
    period: { start: new Date(s.period.start), end: new Date(s.period.end) },
    // The start of the period: older than anything the workflow saves, so its own rows always win.
    changedAt: new Date(s.period.start),
  };
}

export interface StartedAll {
  orgs: number;
  started: number;
  alreadyRunning: number;
  failed: Array<{ orgId: string; code: string; message: string }>;
}

const PAGE = 500;
const CONCURRENCY = 8;

/**
 * startOrgBilling for every org, a page at a time and a few at once: the one-off for orgs that existed
 * before their workflows did. An org that fails is reported and the rest go on; run it again to retry.
 */
export async function startAllOrgBilling(db: Db, billing: BillingClient): Promise<StartedAll> {
  const out: StartedAll = { orgs: 0, started: 0, alreadyRunning: 0, failed: [] };
  let after = '';
  for (;;) {
    const ids = (
      await db
        .selectFrom('organizations')
        .select('id')
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return out;
    for (let i = 0; i < ids.length; i += CONCURRENCY) {
      await Promise.all(
        ids.slice(i, i + CONCURRENCY).map(async (orgId) => {
          try {
            const r = await startOrgBilling(db, billing, orgId);
            if (r.started) out.started += 1;
            else out.alreadyRunning += 1;
          } catch (err) {
            out.failed.push({
              orgId,
              code: err instanceof DomainError ? err.code : 'INTERNAL_ERROR',
              message: err instanceof Error ? err.message : String(err),
            });
          }
        }),
      );
    }
    out.orgs += ids.length;
    after = ids.at(-1)!;
  }
}
