import type { Db } from '../db/pool';
import { planChange, type ChangeRequest } from './changes';
import { refusalAt } from './refusals';
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
  // The period ended and the workflow has not recorded the renewal yet (or this clock and the
  // workflow's disagree by a moment): ./refusals.ts renewalPending.
  return previewView(
    refusalAt(current.period, at, () => planChange(current, request, at)),
    at,
  );
}
