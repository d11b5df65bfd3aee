import type { Db } from '../../src/db/pool';

/** An org's audit events in chain order, in the fields tests compare. */
export async function auditOf(db: Db, orgId: string) {
  const rows = await db
    .selectFrom('audit_events')
    .select(['seq', 'actor_type', 'actor_id', 'action', 'key', 'before', 'after', 'occurred_at'])
    .where('org_id', '=', orgId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    seq: r.seq,
    actor: `${r.actor_type}:${r.actor_id}`,
    action: r.action,
    key: r.key,
    before: r.before,
    after: r.after,
    occurredAt: r.occurred_at.toISOString(),
  }));
}

/** The actions only, in order. */
export const actionsOf = async (db: Db, orgId: string): Promise<string[]> =>
  (await auditOf(db, orgId)).map((e) => e.action);
