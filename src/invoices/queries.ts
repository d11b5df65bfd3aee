import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { DomainError, notFound } from '../errors';
import { assembleInvoice } from './assemble';
import { issueInvoice } from './checks';
import { PREVIEW_NUMBER, type Invoice } from './document';
import { INVOICE_COLLECTION_PREFIX } from './ids';
import { readPeriodLegs } from './legs';
import { periodUsage } from './period-usage';

/**
 * What an org reads of its invoices (the API, the CLI): the issued documents, with where the collection
 * of what each one charges stands, and a preview of the open period's.
 */

/**
 * - `nothing_due`: the invoice charges nothing itself (its other lines were paid when they happened);
 * - `pending`: its collection has not succeeded yet (a decline is dunned like a renewal);
 * - `paid` / `failed`: Stripe collected it, or the dunning gave up.
 */
export const COLLECTION_STATUSES = ['nothing_due', 'pending', 'paid', 'failed'] as const;
export type CollectionStatus = (typeof COLLECTION_STATUSES)[number];

export interface InvoiceSummary {
  number: string;
  kind: Invoice['kind'];
  periodStart: string;
  periodEnd: string;
  issuedAt: string;
  totalCents: number;
  dueCents: number;
  collection: CollectionStatus;
}

export interface InvoicePage {
  data: InvoiceSummary[];
  nextCursor: string | null;
}

const collectionOf = (dueCents: number, status: string | null): CollectionStatus => {
  if (dueCents === 0) return 'nothing_due';
  if (status === 'succeeded') return 'paid';
  if (status === 'failed') return 'failed';
  return 'pending';
};

function invoicesOf(db: Db, orgId: string) {
  return db
    .selectFrom('invoices as i')
    .leftJoin('billing_charges as c', (j) =>
      j
        .onRef('c.org_id', '=', 'i.org_id')
        .on(sql<boolean>`c.business_key = ${INVOICE_COLLECTION_PREFIX} || i.number`),
    )
    .where('i.org_id', '=', orgId);
}

/** Newest first; `before` is the sequence of the last invoice of the previous page (its cursor). */
export async function listInvoices(
  db: Db,
  orgId: string,
  opts: { limit: number; before?: number },
): Promise<InvoicePage> {
  let query = invoicesOf(db, orgId)
    .select([
      'i.number',
      'i.sequence',
      'i.kind',
      'i.period_start',
      'i.period_end',
      'i.issued_at',
      'i.total_cents',
      'i.due_cents',
      'c.status',
    ])
    .orderBy('i.sequence', 'desc')
    .limit(opts.limit + 1);
  if (opts.before !== undefined) query = query.where('i.sequence', '<', opts.before);
  const rows = await query.execute();
  const page = rows.slice(0, opts.limit);
  return {
    data: page.map((r) => ({
      number: r.number,
      kind: r.kind,
      periodStart: r.period_start.toISOString(),
      periodEnd: r.period_end.toISOString(),
      issuedAt: r.issued_at.toISOString(),
      totalCents: r.total_cents,
      dueCents: r.due_cents,
      collection: collectionOf(r.due_cents, r.status),
    })),
    nextCursor: rows.length > opts.limit ? String(page.at(-1)!.sequence) : null,
  };
}

export interface IssuedDocument {
  invoice: Invoice;
  dueCents: number;
  collection: CollectionStatus;
}

/** One of the org's invoices by number; another org's number is not found, exactly like a wrong one. */
export async function getInvoice(db: Db, orgId: string, number: string): Promise<IssuedDocument> {
  const row = await invoicesOf(db, orgId)
    .select(['i.document', 'i.due_cents', 'c.status'])
    .where('i.number', '=', number)
    .executeTakeFirst();
  if (!row) throw new DomainError('INVOICE_NOT_FOUND', `no invoice ${number} for this organization`);
  return {
    invoice: row.document,
    dueCents: row.due_cents,
    collection: collectionOf(row.due_cents, row.status),
  };
}

/**
 * The invoice the open period would get if it closed at `now`: its lines so far, numbered
 * PREVIEW_NUMBER (`upcoming`) and checked as a preview (./checks.ts). Nothing is stored or charged.
 */
export async function upcomingInvoice(db: Db, orgId: string, now: Date): Promise<IssuedDocument> {
  const period = await db
    .selectFrom('credit_balances')
    .select(['period_start', 'period_end'])
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow(() => notFound('organization', orgId));
  const legs = await readPeriodLegs(db, {
    orgId,
    start: period.period_start,
    end: period.period_end,
    closed: false,
  });
  const assembled = assembleInvoice(legs, await periodUsage(db, legs));
  const invoice = issueInvoice(
    {
      number: PREVIEW_NUMBER,
      kind: 'invoice',
      org: assembled.org,
      periodStart: period.period_start.toISOString(),
      periodEnd: period.period_end.toISOString(),
      issuedAt: now.toISOString(),
      lines: assembled.lines,
      payments: assembled.payments,
      walletBalanceEndCents: assembled.walletBalanceEndCents,
    },
    { preview: true },
  );
  return { invoice, dueCents: assembled.dueCents, collection: collectionOf(assembled.dueCents, null) };
}
