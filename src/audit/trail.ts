import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { inTransaction } from '../db/transaction';
import { notFound } from '../errors';
import type { AuditAction } from './actions';
import type { AuditActor } from './actors';
import { chainHash, GENESIS_HASH, toJsonValue } from './hash';

/**
 * Appending to an org's audit chain. Every append locks the org's chain head (audit_chain_heads) in its
 * transaction, so an org's appends are serialized: seq has no gaps and each row names its predecessor's
 * hash, however many API processes and workers append at once. An event is recorded once per
 * (org, key, action): a retried request or activity finds it and appends nothing.
 */

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  /** The request's or the business key the action was done under. */
  key: string;
  before?: unknown;
  after?: unknown;
  /** Business time of the action (the workflow's clock, the request's); now when absent. */
  occurredAt?: Date;
}

export interface AuditEvent {
  orgId: string;
  seq: number;
  occurredAt: string;
  actor: AuditActor;
  action: string;
  key: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

export interface Appended {
  event: AuditEvent;
  /** The (org, key, action) was recorded before: nothing was appended. */
  duplicate: boolean;
}

interface Head {
  seq: number;
  hash: string;
}

/**
 * Takes the org's chain head row lock for the rest of the transaction (creating the head at seq 0 for an
 * org's first event). Undefined when the org does not exist: nothing is created for it.
 */
async function lockHead(trx: Db, orgId: string): Promise<Head | undefined> {
  const { rows } = await sql<Head>`
    INSERT INTO audit_chain_heads (org_id, seq, hash)
    SELECT id, 0, ${GENESIS_HASH} FROM organizations WHERE id = ${orgId}
    ON CONFLICT (org_id) DO UPDATE SET seq = audit_chain_heads.seq
    RETURNING seq, hash
  `.execute(trx);
  return rows[0];
}

type EventRow = {
  org_id: string;
  seq: number;
  occurred_at: Date;
  actor_type: AuditActor['type'];
  actor_id: string;
  action: string;
  key: string;
  before: unknown;
  after: unknown;
  prev_hash: string;
  hash: string;
};

export const eventOfRow = (r: EventRow): AuditEvent => ({
  orgId: r.org_id,
  seq: r.seq,
  occurredAt: r.occurred_at.toISOString(),
  actor: { type: r.actor_type, id: r.actor_id },
  action: r.action,
  key: r.key,
  before: r.before,
  after: r.after,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Appends under a head already locked in this transaction; returns the new head. */
async function appendLocked(trx: Db, orgId: string, head: Head, entry: AuditEntry): Promise<Appended> {
  const existing = await trx
    .selectFrom('audit_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('key', '=', entry.key)
    .where('action', '=', entry.action)
    .executeTakeFirst();
  if (existing) return { event: eventOfRow(existing), duplicate: true };
  const before = toJsonValue(entry.before);
  const after = toJsonValue(entry.after);
  const content = {
    orgId,
    seq: head.seq + 1,
    occurredAt: (entry.occurredAt ?? new Date()).toISOString(),
    actor: { type: entry.actor.type, id: entry.actor.id },
    action: entry.action,
    key: entry.key,
    before,
    after,
    prevHash: head.hash,
  };
  const hash = chainHash(content);
  await sql`
    WITH event AS (
      INSERT INTO audit_events (org_id, seq, occurred_at, actor_type, actor_id, action, key, before, after,
                                prev_hash, hash)
      VALUES (${orgId}, ${content.seq}, ${content.occurredAt}, ${content.actor.type}, ${content.actor.id},
              ${content.action}, ${content.key}, ${json(before)}::jsonb, ${json(after)}::jsonb,
              ${content.prevHash}, ${hash}))
    UPDATE audit_chain_heads SET seq = ${content.seq}, hash = ${hash} WHERE org_id = ${orgId}
  `.execute(trx);
  head.seq = content.seq;
  head.hash = hash;
  return { event: { ...content, hash }, duplicate: false };
}

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/**
 * Records one event on the org's chain, in the caller's transaction when `db` is one (the change and its
 * record then commit together), else in one of its own. For actions whose change is not one transaction
 * this can join (a Temporal Update, a Stripe charge): called right after, under the action's key, so a
 * retry records nothing twice.
 */
export async function recordAuditEvent(db: Db, orgId: string, entry: AuditEntry): Promise<Appended> {
  return inTransaction(db, async (trx) => {
    const head = await lockHead(trx, orgId);
    if (!head) throw notFound('organization', orgId);
    return appendLocked(trx, orgId, head, entry);
  });
}

/**
 * Runs `change` and records what `describe` makes of its result in the same transaction: the change is
 * never committed without its audit rows, nor the rows without the change. The org's chain head is
 * locked first, before anything `change` locks, so every audited transaction takes its locks in one
 * order, and the `before` a change reads cannot be changed by another audited action until it commits.
 * `describe` returns the events to append in order, or null (or none) when there is nothing to record: a
 * repeat, a setting set to what it was. A change that throws writes nothing, audit rows included.
 */
export async function audited<R>(
  db: Db,
  orgId: string,
  change: (trx: Db) => Promise<R>,
  describe: (result: R) => AuditEntry | AuditEntry[] | null,
): Promise<R> {
  return inTransaction(db, async (trx) => {
    const locked = await lockHead(trx, orgId);
    const result = await change(trx);
    const entries = [describe(result) ?? []].flat();
    if (entries.length === 0) return result;
    // The org did not exist when locking, yet the change succeeded: it cannot be, but never unrecorded.
    if (!locked) throw notFound('organization', orgId);
    // Read again (the lock is ours already): the change may have appended through recordAuditEvent.
    const head = await trx
      .selectFrom('audit_chain_heads')
      .select(['seq', 'hash'])
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    for (const entry of entries) await appendLocked(trx, orgId, head, entry);
    return result;
  });
}
