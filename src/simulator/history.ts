import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Plan } from '../billing/subscription';
import type { BillingStatus } from '../orgs/statuses';

/** The subscription as the workflow saved it at business time `at`. */
export interface SubscriptionSave extends Plan {
  at: Date;
  status: BillingStatus;
}

/** The part of the saveSubscription activity's input the timeline reads (activities/billing.ts). */
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

interface SaveInput {
  at: string;
  subscription: Plan & { status: BillingStatus };
}

/**
 * Every state the org-billing workflow saved, in order, read from Temporal's own record: the
 * saveSubscription activities each run of the workflow scheduled, run after run along its
 * continue-as-new chain from `firstRunId`. A credit period's interval and status are the subscription's
 * in its last moment (./timeline.ts planAt), which the ledger's period row does not keep.
 */
export async function subscriptionSaves(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<SubscriptionSave[]> {
  const saves: SubscriptionSave[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    for (const event of events) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'saveSubscription') continue;
      const payload = scheduled.input?.payloads?.[0];
      if (!payload) continue;
      const input = defaultPayloadConverter.fromPayload<SaveInput>(payload as Payload);
      const { tier, interval, seats, status } = input.subscription;
      saves.push({ at: new Date(input.at), tier, interval, seats, status });
    }
    const next: string | null | undefined =
      events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    runId = next;
  }
  return saves;
}
