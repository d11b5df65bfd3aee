import { CompiledQuery } from 'kysely';
import { preparedStatement, type Db } from '../db/pool';
import { DomainError } from '../errors';
import { requireUsageEvents, type UsageEvent } from './usage-rules';

/** What a batch did: events recorded now, and events whose key was already recorded with the same body. */
export interface RecordedUsage {
  recorded: number;
  duplicates: number;
}

// One statement, planned once per connection: the ingest's hot path (src/db/functions/usage_record.sql).
const RECORD = preparedStatement(
  'SELECT outcome, recorded, reused_key FROM usage_record($1, $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])',
);

const byKey = (a: UsageEvent, b: UsageEvent): number =>
  a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0;

/**
 * Records a batch of an org's usage events, all or none, in one statement (usage_record). Every event
 * is checked first (requireUsageEvents, at `now`; `field` names the list in errors): one invalid event
 * refuses the batch. Each event is applied once per idempotency key: a repeat of a recorded event
 * (same metric, quantity and occurredAt, wherever it was sent before, this batch included) counts as a
 * duplicate; the key with another body is 409 IDEMPOTENCY_KEY_REUSED and writes nothing of the batch.
 */
export async function recordUsage(
  db: Db,
  orgId: string,
  events: readonly unknown[],
  now: Date,
  field = 'events',
): Promise<RecordedUsage> {
  const checked = requireUsageEvents(events, now, field);
  // One key order for every batch: two batches sharing keys then wait for each other, never deadlock.
  const sorted = [...checked].sort(byKey);
  const { rows } = await db.executeQuery<{ outcome: string; recorded: number; reused_key: string | null }>(
    CompiledQuery.raw(RECORD, [
      orgId,
      sorted.map((e) => e.idempotencyKey),
      sorted.map((e) => e.metric),
      sorted.map((e) => e.quantity),
      sorted.map((e) => e.occurredAt.toISOString()),
    ]),
  );
  const row = rows[0];
  if (!row) throw new Error('usage_record returned no row');
  if (row.outcome === 'key_reused') {
    const key = row.reused_key ?? '';
    const at = `${field}[${checked.findIndex((e) => e.idempotencyKey === key)}].idempotencyKey`;
    throw new DomainError(
      'IDEMPOTENCY_KEY_REUSED',
      `${at}: ${key} was recorded with another metric, quantity or occurredAt; nothing of the batch was recorded`,
      { field: at, idempotencyKey: key },
    );
  }
  return { recorded: row.recorded, duplicates: checked.length - row.recorded };
}
