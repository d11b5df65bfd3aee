import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { domainErrorFrom } from '../temporal/failures';
import type { orgBillingWorkflow } from '../../workflows/billing';
import {
  billingStateQuery,
  cancelUpdate,
  changePlanUpdate,
  pauseUpdate,
  paymentEventSignal,
  resumeUpdate,
  type BillingWorkflowInput,
  type SubscriptionChangeResult,
} from '../../workflows/billing.messages';
import type { ChangeRequest } from './changes';
import { renewalPeriodContaining } from './clock';
import { billingWorkflowId } from './ids';
import type { Interval } from './subscription';
import { requireTier } from './tiers';
import type { BillingStatus } from '../orgs/statuses';

export interface BillingClientDeps {
  client: Client;
  taskQueue: string;
}

export interface StartOptions {
  interval?: Interval;
  seats?: number;
  /** Charge the first period now: a new subscription pays in advance; an org that already paid does not. */
  chargeFirstPeriod?: boolean;
  /** Business time minus the workflow clock: the simulator's, 0 everywhere else. */
  clockOffsetMs?: number;
}

/**
 * The org-billing workflow's input for an org as the database has it: its tier, anchor and status, and
 * the credit period its balance row has open (the ledger's, which the first close must name).
 */
export async function billingInputFor(
  db: Db,
  orgId: string,
  opts: StartOptions = {},
): Promise<BillingWorkflowInput> {
  const org = await db
    .selectFrom('organizations')
    .innerJoin('credit_balances', 'credit_balances.org_id', 'organizations.id')
    .select([
      'organizations.tier_id',
      'organizations.billing_anchor',
      'organizations.billing_status',
      'credit_balances.period_start',
      'credit_balances.period_end',
    ])
    .where('organizations.id', '=', orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  const interval = opts.interval ?? 'month';
  const anchor = org.billing_anchor;
  const period = renewalPeriodContaining(anchor, interval, org.period_start);
  return {
    orgId,
    subscription: {
      tier: requireTier(org.tier_id),
      interval,
      seats: opts.seats ?? 1,
      status: org.billing_status as BillingStatus,
      anchor: anchor.toISOString(),
      period: { start: period.start.toISOString(), end: period.end.toISOString() },
      scheduledChange: null,
      cancelAtPeriodEnd: false,
    },
    creditPeriod: { start: org.period_start.toISOString(), end: org.period_end.toISOString() },
    rolloverExpiresAt: null,
    dunning: null,
    clockOffsetMs: opts.clockOffsetMs ?? 0,
    handledUpTo: org.period_start.toISOString(),
    chargeFirstPeriod: opts.chargeFirstPeriod ?? false,
  };
}

/** Starting, changing and reading an org's subscription through its workflow. */
export function createBillingClient({ client, taskQueue }: BillingClientDeps) {
  const handle = (orgId: string) =>
    client.workflow.getHandle<typeof orgBillingWorkflow>(billingWorkflowId(orgId));

  async function update(run: () => Promise<SubscriptionChangeResult>): Promise<SubscriptionChangeResult> {
    try {
      return await run();
    } catch (err) {
      throw domainErrorFrom(err) ?? err;
    }
  }

  return {
    /** Idempotent: an org's workflow runs once for its whole life; a second start finds it. */
    async start(input: BillingWorkflowInput): Promise<{ started: boolean }> {
      try {
        await client.workflow.start('orgBillingWorkflow', {
          workflowId: billingWorkflowId(input.orgId),
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return { started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw err;
      }
    },

    change: (orgId: string, request: ChangeRequest, updateId?: string) =>
      update(() => handle(orgId).executeUpdate(changePlanUpdate, { args: [request], updateId })),
    cancel: (orgId: string, updateId?: string) =>
      update(() => handle(orgId).executeUpdate(cancelUpdate, { args: [], updateId })),
    pause: (orgId: string, updateId?: string) =>
      update(() => handle(orgId).executeUpdate(pauseUpdate, { args: [], updateId })),
    resume: (orgId: string, request?: ChangeRequest, updateId?: string) =>
      update(() => handle(orgId).executeUpdate(resumeUpdate, { args: [request ?? {}], updateId })),

    /** A new card, or a Stripe event about a charge: what is due is retried now. */
    nudge: (orgId: string, eventId: string, type: string) =>
      handle(orgId).signal(paymentEventSignal, { eventId, type }),

    state: (orgId: string) => handle(orgId).query(billingStateQuery),
  };
}

export type BillingClient = ReturnType<typeof createBillingClient>;
