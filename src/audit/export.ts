import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { eventOfRow, type AuditEvent } from './trail';

/**
 * The audit export: an org's events in chain order, optionally within occurredAt ∈ [from, to), as CSV or
 * JSON Lines, streamed. Rows are read a page at a time by keyset (seq), each page on a pooled connection
 * only for its query, and the next page is read only when the consumer has taken the last one (stream
 * back-pressure): memory stays bounded however long the chain, and a slow client holds no connection.
 * The export ends at the chain head as it was when it began, so it is one consistent prefix of the chain.
 */

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

export interface ExportRange {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** CSV columns, in order; before and after are their JSON text (empty for none). */
export const CSV_COLUMNS = [
  'org_id',
  'seq',
  'occurred_at',
  'actor_type',
  'actor_id',
  'action',
  'key',
  'before',
  'after',
  'prev_hash',
  'hash',
] as const;

export const EXPORT_PAGE_SIZE = 1000;

interface Bounds {
  first: number;
  last: number;
}

/**
 * The seq range that can hold the events in range: up to the head as it is now, and narrowed by the
 * (org, occurred_at) index. occurredAt need not grow with seq (business times), so these are bounds only;
 * every page still filters on occurredAt.
 */
async function boundsOf(db: Db, orgId: string, range: ExportRange): Promise<Bounds | undefined> {
  const { rows } = await sql<{ first: number | null; last: number | null }>`
    SELECT
      (SELECT min(seq) FROM audit_events WHERE org_id = ${orgId}
         AND (${range.from ?? null}::timestamptz IS NULL OR occurred_at >= ${range.from ?? null})) AS first,
      (SELECT least(h.seq, (SELECT max(seq) FROM audit_events WHERE org_id = ${orgId}
         AND (${range.to ?? null}::timestamptz IS NULL OR occurred_at < ${range.to ?? null})))
         FROM audit_chain_heads h WHERE h.org_id = ${orgId}) AS last
  `.execute(db);
  const { first, last } = rows[0]!;
  return first === null || last === null || first > last ? undefined : { first, last };
}

async function page(db: Db, orgId: string, range: ExportRange, after: number, last: number) {
  let q = db
    .selectFrom('audit_events')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('seq', '>', after)
    .where('seq', '<=', last);
  if (range.from) q = q.where('occurred_at', '>=', range.from);
  if (range.to) q = q.where('occurred_at', '<', range.to);
  const rows = await q.orderBy('seq').limit(EXPORT_PAGE_SIZE).execute();
  return rows.map(eventOfRow);
}

/**
 * The pages of an export. The first page is read before this resolves, so a database that cannot be
 * reached fails the request before anything is sent (503), not half-way through a 200.
 */
export async function openAuditExport(
  db: Db,
  orgId: string,
  range: ExportRange,
): Promise<AsyncIterable<AuditEvent[]>> {
  const bounds = await boundsOf(db, orgId, range);
  if (!bounds) return (async function* () {})();
  const { last } = bounds;
  const first = await page(db, orgId, range, bounds.first - 1, last);
  return (async function* () {
    let events = first;
    while (events.length > 0) {
      yield events;
      if (events.length < EXPORT_PAGE_SIZE) return;
      events = await page(db, orgId, range, events[events.length - 1]!.seq, last);
    }
  })();
}

const csvRecord = (e: AuditEvent) => [
  e.orgId,
  e.seq,
  e.occurredAt,
  e.actor.type,
  e.actor.id,
  e.action,
  e.key,
  e.before === null ? '' : JSON.stringify(e.before),
  e.after === null ? '' : JSON.stringify(e.after),
  e.prevHash,
  e.hash,
];

/** The export as a byte stream of `format`. */
export function exportStream(pages: AsyncIterable<AuditEvent[]>, format: ExportFormat): Readable {
  if (format === 'jsonl') {
    // One chunk per page: a thousand lines per write rather than one.
    return Readable.from(
      (async function* () {
        for await (const events of pages) yield events.map((e) => `${JSON.stringify(e)}\n`).join('');
      })(),
      { objectMode: false },
    );
  }
  const records = Readable.from(
    (async function* () {
      for await (const events of pages) for (const e of events) yield csvRecord(e);
    })(),
  );
  // The header is written even for an export with no events, so every CSV names its columns.
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS] });
  // pipeline, not pipe: an error on either side (the database, the client gone) destroys both, so the
  // pages stop being read.
  return pipeline(records, csv, () => undefined);
}
