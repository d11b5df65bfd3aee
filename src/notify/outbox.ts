import type { Db } from '../db/pool';
import type { Notifier, OutboxNotification } from './notifier';

/** Notifications not yet delivered, oldest first. */
export async function pendingNotifications(db: Db, limit = 100): Promise<OutboxNotification[]> {
  const rows = await db
    .selectFrom('notifications')
    .selectAll()
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    orgId: r.org_id,
    kind: r.kind,
    businessKey: r.business_key,
    payload: r.payload as Record<string, unknown>,
    createdAt: r.created_at,
  }));
}

/**
 * Hands what is pending to the notifier, one at a time, marking each delivered once it was sent: at least
 * once (a crash between the two sends it again), which is what mail and webhooks promise anyway.
 * Returns how many were delivered; one that fails stays pending and stops the round.
 */
export async function deliverPending(db: Db, notifier: Notifier, limit = 100): Promise<number> {
  let delivered = 0;
  for (const n of await pendingNotifications(db, limit)) {
    await notifier.send(n);
    await db.updateTable('notifications').set({ delivered_at: new Date() }).where('id', '=', n.id).execute();
    delivered += 1;
  }
  return delivered;
}
