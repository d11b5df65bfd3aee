import type { Db } from '../db/pool';
import type {
  AdAction,
  AdActionReason,
  PlatformName,
  TopUpMethod,
  TopUpStatus,
  TopUpTrigger,
} from '../wallet/statuses';

/**
 * The wallet's part of the timeline, read back from the database at the end of the run (never from what
 * the simulator sent), so it shows what the engine did: the top-ups the workflow charged on its own, the
 * pauses it decided, the days it spent its cap. Times are business times, ISO; money integer cents.
 */
export interface TimelineWallet {
  /** Every top-up, manual and auto, in order of start; a wire is `method: wire`. */
  topUps: Array<{
    at: string;
    amountCents: number;
    trigger: TopUpTrigger;
    method: TopUpMethod;
    status: TopUpStatus;
  }>;
  /** Every platform bill: its spend and the platform fee on top. */
  debits: Array<{
    at: string;
    platform: PlatformName;
    projectId: string;
    spendCents: number;
    feeCents: number;
  }>;
  /** Every pause and resume of the org's agency ads, with its reason. */
  pauses: Array<{ at: string; action: AdAction; reason: AdActionReason }>;
  /** The org's local days (its wallet's time zone) whose auto-top-up cap was spent: one notification each. */
  capReachedDays: string[];
  /** Settled; pending ACH is not in it (its top-up shows `pending`). */
  finalBalanceCents: number;
}

/** The org's wallet as the timeline shows it, or undefined for an org without one (BYO). */
export async function readTimelineWallet(db: Db, orgId: string): Promise<TimelineWallet | undefined> {
  const wallet = await db
    .selectFrom('wallets')
    .select('balance_cents')
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!wallet) return undefined;
  const [topUps, debits, actions, capReached] = await Promise.all([
    db
      .selectFrom('wallet_top_ups')
      .select(['started_at', 'amount_cents', 'trigger', 'method', 'status'])
      .where('org_id', '=', orgId)
      .orderBy('started_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('wallet_debits')
      .select(['occurred_at', 'platform', 'project_id', 'spend_cents', 'fee_cents'])
      .where('org_id', '=', orgId)
      .orderBy('occurred_at')
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('wallet_ad_actions')
      .select(['decided_at', 'action', 'reason'])
      .where('org_id', '=', orgId)
      .orderBy('decided_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('notifications')
      .select('payload')
      .where('org_id', '=', orgId)
      .where('kind', '=', 'wallet_cap_reached')
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);
  return {
    topUps: topUps.map((t) => ({
      at: t.started_at.toISOString(),
      amountCents: t.amount_cents,
      trigger: t.trigger,
      method: t.method,
      status: t.status,
    })),
    debits: debits.map((d) => ({
      at: d.occurred_at.toISOString(),
      platform: d.platform,
      projectId: d.project_id,
      spendCents: d.spend_cents,
      feeCents: d.fee_cents,
    })),
    pauses: actions.map((a) => ({ at: a.decided_at.toISOString(), action: a.action, reason: a.reason })),
    capReachedDays: capReached.map((n) => (n.payload as { localDay: string }).localDay),
    finalBalanceCents: wallet.balance_cents,
  };
}
