import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { Db } from '../db/pool';

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

/**
 * An event as the export writes it: text throughout. before and after come as the database's JSON text
 * and are passed through as they are, never parsed and written again: that is most of an export's work
 * and garbage otherwise.
 */
export interface ExportRow {
  org_id: string;
  seq: number;
  /** As Date#toISOString writes it (what the hash covers). */
  occurred_at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  key: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

async function page(db: Db, orgId: string, range: ExportRange, after: number, last: number) {
  const { rows } = await sql<ExportRow>`
    SELECT org_id, seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
           actor_type, actor_id, action, key, before::text AS before, after::text AS after, prev_hash, hash
      FROM audit_events
     WHERE org_id = ${orgId} AND seq > ${after} AND seq <= ${last}
       AND (${range.from ?? null}::timestamptz IS NULL OR occurred_at >= ${range.from ?? null})
       AND (${range.to ?? null}::timestamptz IS NULL OR occurred_at < ${range.to ?? null})
     ORDER BY seq
     LIMIT ${EXPORT_PAGE_SIZE}
  `.execute(db);
  return rows;
}

/**
 * The pages of an export. The first page is read before this resolves, so a database that cannot be
 * reached fails the request before anything is sent (503), not half-way through a 200.
 */
export async function openAuditExport(
  db: Db,
  orgId: string,
  range: ExportRange,
): Promise<AsyncIterable<ExportRow[]>> {
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

const csvRecord = (e: ExportRow) => [
  e.org_id,
  e.seq,
  e.occurred_at,
  e.actor_type,
  e.actor_id,
  e.action,
  e.key,
  e.before ?? '',
  e.after ?? '',
  e.prev_hash,
  e.hash,
];

const q = JSON.stringify;

/** The JSON Lines form: AuditEvent's fields, before and after spliced in as the JSON they are. */
const jsonLine = (e: ExportRow): string =>
  `{"orgId":${q(e.org_id)},"seq":${e.seq},"occurredAt":${q(e.occurred_at)},"actor":{"type":${q(e.actor_type)},` +
  `"id":${q(e.actor_id)}},"action":${q(e.action)},"key":${q(e.key)},"before":${e.before ?? 'null'},` +
  `"after":${e.after ?? 'null'},"prevHash":${q(e.prev_hash)},"hash":${q(e.hash)}}\n`;

/**
 * The export as a byte stream of `format`: one chunk per page (a thousand rows per write rather than one
 * each, which costs the socket and the allocator far more), so memory holds a page at most.
 */
export function exportStream(pages: AsyncIterable<ExportRow[]>, format: ExportFormat): Readable {
  return Readable.from(
    (async function* () {
      // The header is written even for an export with no events, so every CSV names its columns.
      if (format === 'csv') yield stringify([], { header: true, columns: [...CSV_COLUMNS] });
      for await (const events of pages) {
        yield format === 'csv' ? stringify(events.map(csvRecord)) : events.map(jsonLine).join('');
      }
    })(),
    { objectMode: false },
  );
}
