import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { DEFAULT_ENGINE_TIMEOUT_MS } from '../generations/deadline';
import { domainErrorFrom } from '../temporal/failures';
import { engineUnavailable } from '../temporal/outage';
import type { orgBillingWorkflow } from '../../workflows/billing';
import {
  billingStateQuery,
  cancelUpdate,
  changePlanUpdate,
  pauseUpdate,
  paymentEventSignal,
  resumeUpdate,
  type BillingWorkflowInput,
} from '../../workflows/billing.messages';
import type { ChangeRequest } from './changes';
import { renewalPeriodContaining } from './clock';
import { billingWorkflowId } from './ids';
import type { Interval, Plan } from './subscription';
import { requireTier } from './tiers';
import type { BillingStatus } from '../orgs/statuses';

export interface BillingClientDeps {
  client: Client;
  taskQueue: string;
  /** How long a caller waits for Temporal and a worker before 503 ENGINE_UNAVAILABLE (default 10 s). */
  engineTimeoutMs?: number;
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
 * the credit period its balance row has open (the ledger's, which the first close must name). Interval,
 * seats, a scheduled change and a pending cancel come from the subscription the workflow last saved,
 * when there is one (a workflow started again after it was terminated keeps the plan it had); an org
 * that never had a workflow is monthly with one seat.
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
  const saved = await db
    .selectFrom('subscriptions')
    .select(['billing_interval', 'seats', 'scheduled_change', 'cancel_at_period_end'])
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  const interval = opts.interval ?? saved?.billing_interval ?? 'month';
  const anchor = org.billing_anchor;
  const period = renewalPeriodContaining(anchor, interval, org.period_start);
  return {
    orgId,
    subscription: {
      tier: requireTier(org.tier_id),
      interval,
      seats: opts.seats ?? saved?.seats ?? 1,
      status: org.billing_status as BillingStatus,
      anchor: anchor.toISOString(),
      period: { start: period.start.toISOString(), end: period.end.toISOString() },
      scheduledChange: (saved?.scheduled_change as Plan | null | undefined) ?? null,
      cancelAtPeriodEnd: saved?.cancel_at_period_end ?? false,
    },
    creditPeriod: { start: org.period_start.toISOString(), end: org.period_end.toISOString() },
    rolloverExpiresAt: null,
    dunning: null,
    clockOffsetMs: opts.clockOffsetMs ?? 0,
    handledUpTo: org.period_start.toISOString(),
    chargeFirstPeriod: opts.chargeFirstPeriod ?? false,
  };
}

/**
 * Starting, changing and reading an org's subscription through its workflow. Every call is bounded
 * like the generation client's: Temporal or every worker down answers 503 ENGINE_UNAVAILABLE after
 * `engineTimeoutMs`, never a hang; an org whose workflow was never started is NOT_FOUND (subscription).
 */
export function createBillingClient({ client, taskQueue, engineTimeoutMs }: BillingClientDeps) {
  const timeoutMs = engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;
  const handle = (orgId: string) =>
    client.workflow.getHandle<typeof orgBillingWorkflow>(billingWorkflowId(orgId));

  async function bounded<T>(orgId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound('subscription', orgId);
      throw domainErrorFrom(err) ?? engineUnavailable(err) ?? err;
    }
  }

  return {
    /**
     * Idempotent: an org's workflow runs once for its whole life; a second start while it runs finds it
     * (`started: false`). One that was terminated is started again from the database's state.
     */
    async start(input: BillingWorkflowInput): Promise<{ started: boolean }> {
      try {
        await bounded(input.orgId, () =>
          client.workflow.start('orgBillingWorkflow', {
            workflowId: billingWorkflowId(input.orgId),
            taskQueue,
            args: [input],
            // Not USE_EXISTING: that answers a running workflow like a new one, and callers report which.
            workflowIdConflictPolicy: 'FAIL',
          }),
        );
        return { started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw err;
      }
    },

    /**
     * `updateId` makes a retried call the same Update (Temporal answers it once per run); the API passes
     * the one its Idempotency-Key record holds.
     */
    change: (orgId: string, request: ChangeRequest, updateId?: string) =>
      bounded(orgId, () => handle(orgId).executeUpdate(changePlanUpdate, { args: [request], updateId })),
    cancel: (orgId: string, updateId?: string) =>
      bounded(orgId, () => handle(orgId).executeUpdate(cancelUpdate, { args: [], updateId })),
    pause: (orgId: string, updateId?: string) =>
      bounded(orgId, () => handle(orgId).executeUpdate(pauseUpdate, { args: [], updateId })),
    resume: (orgId: string, request?: ChangeRequest, updateId?: string) =>
      bounded(orgId, () => handle(orgId).executeUpdate(resumeUpdate, { args: [request ?? {}], updateId })),

    /** A new card, or a Stripe event about a charge: what is due is retried now. */
    nudge: (orgId: string, eventId: string, type: string) =>
      bounded(orgId, () => handle(orgId).signal(paymentEventSignal, { eventId, type })),

    state: (orgId: string) => bounded(orgId, () => handle(orgId).query(billingStateQuery)),
  };
}

export type BillingClient = ReturnType<typeof createBillingClient>;
