import { sql } from 'kysely';
import type { Db } from '../db/pool';
import { assembleInvoice, type UsageLeg } from './assemble';
import { issueInvoice } from './checks';
import { invoiceNumber, type Invoice } from './document';
import { invoiceKey } from './ids';
import { readPeriodLegs } from './legs';
import { periodUsage } from './period-usage';

export interface IssuedInvoice {
  number: string;
  dueCents: number;
  /** True when the period's invoice had been issued already (a retried activity, a second close). */
  duplicate: boolean;
  invoice: Invoice;
}

/**
 * Issues the invoice of a closed period: built from its ledger legs, numbered from the one sequence and
 * stored, immutable, in one transaction. The number is taken by updating the sequence's row in that
 * transaction, so a failed issue gives it back and concurrent issues take consecutive numbers: no gaps.
 * Idempotent per (org, period start): a repeat returns the invoice already issued.
 */
export async function issuePeriodInvoice(
  db: Db,
  input: { orgId: string; periodStart: Date; periodEnd: Date; at: Date },
): Promise<IssuedInvoice> {
  const key = invoiceKey(input.orgId, input.periodStart);
  const existing = await findByKey(db, key);
  if (existing) return existing;

  const legs = await readPeriodLegs(db, {
    orgId: input.orgId,
    start: input.periodStart,
    end: input.periodEnd,
    closed: true,
  });
  const usage: UsageLeg[] = await periodUsage(db, legs);
  const assembled = assembleInvoice(legs, usage);
  try {
    return await db.transaction().execute(async (tx) => {
      const { last_sequence: sequence } = await tx
        .updateTable('invoice_numbers')
        .set({ last_sequence: sql`last_sequence + 1` })
        .returning('last_sequence')
        .executeTakeFirstOrThrow();
      const invoice = issueInvoice({
        number: invoiceNumber(input.at.getUTCFullYear(), sequence),
        kind: 'invoice',
        org: assembled.org,
        periodStart: input.periodStart.toISOString(),
        periodEnd: input.periodEnd.toISOString(),
        issuedAt: input.at.toISOString(),
        lines: assembled.lines,
        payments: assembled.payments,
        walletBalanceEndCents: assembled.walletBalanceEndCents,
      });
      await tx
        .insertInto('invoices')
        .values({
          number: invoice.number,
          sequence,
          org_id: input.orgId,
          kind: 'invoice',
          corrects_number: null,
          business_key: key,
          period_start: input.periodStart,
          period_end: input.periodEnd,
          total_cents: invoice.totals.totalCents,
          due_cents: assembled.dueCents,
          document: JSON.stringify(invoice),
          issued_at: input.at,
        })
        .execute();
      return { number: invoice.number, dueCents: assembled.dueCents, duplicate: false, invoice };
    });
  } catch (err) {
    // Two issues of one period at once: the loser's transaction (and its number) rolled back.
    const raced = await findByKey(db, key);
    if (raced) return raced;
    throw err;
  }
}

async function findByKey(db: Db, key: string): Promise<IssuedInvoice | undefined> {
  const row = await db
    .selectFrom('invoices')
    .select(['number', 'due_cents', 'document'])
    .where('business_key', '=', key)
    .executeTakeFirst();
  return row && { number: row.number, dueCents: row.due_cents, duplicate: true, invoice: row.document };
}
