import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { ENGINE_RETRY_AFTER_SECONDS } from '../temporal/outage';
import { planChange, type ChangeRequest } from './changes';
import { getSubscription } from './subscriptions';
import { previewView, type PreviewView } from './views';

/**
 * What a change asked for now would charge or refund, from the read model and the same pure function the
 * workflow applies (./changes.ts planChange), at `at`; nothing is written and Temporal is not asked. The
 * workflow applies a change at its own clock's `at`, so the amounts it charges differ from a preview by
 * the seconds between the two.
 */
export async function previewChange(
  db: Db,
  orgId: string,
  request: ChangeRequest,
  at: Date,
): Promise<PreviewView> {
  const current = await getSubscription(db, orgId);
  try {
    return previewView(planChange(current, request, at), at);
  } catch (err) {
    const { start, end } = current.period;
    const outside = at.getTime() < start.getTime() || at.getTime() >= end.getTime();
    // The period ended and the workflow has not recorded the renewal yet (or this clock and the
    // workflow's disagree by a moment): no amount computed against this period would be right.
    if (err instanceof RangeError && outside) throw renewalPending(current.period.end);
    throw err;
  }
}

function renewalPending(periodEnd: Date): DomainError {
  return new DomainError(
    'ENGINE_UNAVAILABLE',
    `the subscription's period ended at ${periodEnd.toISOString()} and its renewal is not recorded yet; retry`,
    { reason: 'renewal_pending', retryAfterSeconds: ENGINE_RETRY_AFTER_SECONDS },
  );
}
