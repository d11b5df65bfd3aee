import { sql } from 'kysely';
import type { Db } from '../db/pool';
import type { GenerationStatus, ReservationStatus } from '../db/schema';
import { notFound } from '../errors';

/** A generation as the API shows it: the generations row with its reservation, read from PostgreSQL. */
export interface GenerationView {
  generationId: string;
  projectId: string;
  format: string;
  status: GenerationStatus;
  estimatedCredits: number;
  actualCredits: number | null;
  model: string | null;
  failureReason: string | null;
  reservation: {
    status: ReservationStatus;
    amount: number;
    capturedCredits: number | null;
    settledAt: string | null;
  };
  createdAt: string;
  endedAt: string | null;
}

/** Where a page ended: the (created_at, id) of its last row, created_at in exact microseconds. */
export interface PagePosition {
  createdUs: number;
  id: string;
}

export interface GenerationPage {
  data: GenerationView[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: PagePosition | null;
}

export interface ListOptions {
  status?: GenerationStatus;
  limit: number;
  after?: PagePosition;
}

function selectViews(db: Db, orgId: string) {
  return (
    db
      .selectFrom('generations as g')
      // Every generation row has its reservation: credits_reserve writes both in one transaction, and a
      // refused reservation deletes the generation row again.
      .innerJoin('reservations as r', 'r.generation_id', 'g.id')
      .select([
        'g.id',
        'g.project_id',
        'g.format',
        'g.status',
        'g.estimated_credits',
        'g.actual_credits',
        'g.model',
        'g.failure_reason',
        'g.created_at',
        'g.ended_at',
        'r.status as reservation_status',
        'r.amount',
        'r.captured_credits',
        'r.settled_at',
        // Microseconds since the epoch: created_at exactly, which a JS Date (milliseconds) is not.
        sql<number>`(extract(epoch from g.created_at) * 1000000)::bigint`.as('created_us'),
      ])
      .where('g.org_id', '=', orgId)
  );
}

type Row = Awaited<ReturnType<ReturnType<typeof selectViews>['execute']>>[number];

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toView(r: Row): GenerationView {
  return {
    generationId: r.id,
    projectId: r.project_id,
    format: r.format,
    status: r.status,
    estimatedCredits: r.estimated_credits,
    actualCredits: r.actual_credits,
    model: r.model,
    failureReason: r.failure_reason,
    reservation: {
      status: r.reservation_status,
      amount: r.amount,
      capturedCredits: r.captured_credits,
      settledAt: iso(r.settled_at),
    },
    createdAt: r.created_at.toISOString(),
    endedAt: iso(r.ended_at),
  };
}

/** Another org's generation is indistinguishable from one that does not exist. */
export async function getGeneration(db: Db, orgId: string, generationId: string): Promise<GenerationView> {
  const row = await selectViews(db, orgId).where('g.id', '=', generationId).executeTakeFirst();
  if (!row) throw notFound('generation', generationId);
  return toView(row);
}

/**
 * Newest first, keyset-paginated on (created_at, id) so that pages stay stable while generations are
 * created and the query walks the generations_org_created index instead of skipping OFFSET rows.
 */
export async function listGenerations(db: Db, orgId: string, opts: ListOptions): Promise<GenerationPage> {
  let query = selectViews(db, orgId);
  if (opts.status) query = query.where('g.status', '=', opts.status);
  if (opts.after) {
    const createdAt = sql`timestamptz 'epoch' + ${opts.after.createdUs} * interval '1 microsecond'`;
    query = query.where(sql<boolean>`(g.created_at, g.id) < (${createdAt}, ${opts.after.id})`);
  }
  const rows = await query
    .orderBy('g.created_at', 'desc')
    .orderBy('g.id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  const next = rows.length > opts.limit && last ? { createdUs: last.created_us, id: last.id } : null;
  return { data: page.map(toView), next };
}
