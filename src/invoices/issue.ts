import { sql } from 'kysely';
import { workflowActor, type AuditActor } from '../audit/actors';
import { recordAuditEvent } from '../audit/trail';
import { billingWorkflowId } from '../billing/ids';
import type { Db } from '../db/pool';
import { DomainError } from '../errors';
import { assembleInvoice, type UsageLeg } from './assemble';
import { issueInvoice, type InvoiceInput } from './checks';
import { invoiceNumber, type Invoice } from './document';
import { creditNoteKey, invoiceKey } from './ids';
import { readPeriodLegs } from './legs';
import { periodUsage } from './period-usage';

export interface IssuedInvoice {
  number: string;
  dueCents: number;
  /** True when the document had been issued already (a retried activity, a second close, a repeat). */
  duplicate: boolean;
  invoice: Invoice;
}

/**
 * Issues the invoice of a closed period: built from its ledger legs, numbered from the one sequence and
 * stored, immutable, in one transaction. Idempotent per (org, period start): a repeat returns the
 * invoice already issued.
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
  return issueNumbered(db, {
    key,
    orgId: input.orgId,
    dueCents: assembled.dueCents,
    walletLedgerThrough: legs.walletLedgerThrough,
    // The period close decides it: the org's billing workflow is the actor.
    actor: workflowActor(billingWorkflowId(input.orgId)),
    document: {
      kind: 'invoice',
      org: assembled.org,
      periodStart: input.periodStart.toISOString(),
      periodEnd: input.periodEnd.toISOString(),
      issuedAt: input.at.toISOString(),
      lines: assembled.lines,
      payments: assembled.payments,
      walletBalanceEndCents: assembled.walletBalanceEndCents,
    },
  });
}

/**
 * Corrects an issued invoice with a credit note that reverses every line that cost something, numbered
 * from the same sequence and naming the invoice; the invoice itself never changes. One per invoice: a
 * repeat returns the credit note already issued. The note is the document; any refund of what the
 * invoice collected is a payment of its own.
 */
export async function issueCreditNote(
  db: Db,
  input: { orgId: string; number: string; reason: string; at: Date; actor: AuditActor },
): Promise<IssuedInvoice> {
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 500) {
    throw new DomainError('VALIDATION_FAILED', 'reason: say why, in 1 to 500 characters', {
      field: 'reason',
    });
  }
  const corrected = await db
    .selectFrom('invoices')
    .select(['document', 'kind'])
    .where('org_id', '=', input.orgId)
    .where('number', '=', input.number)
    .executeTakeFirst();
  if (!corrected)
    throw new DomainError('INVOICE_NOT_FOUND', `no invoice ${input.number} for this organization`);
  if (corrected.kind !== 'invoice') {
    throw new DomainError('VALIDATION_FAILED', `number: ${input.number} is a credit note, not an invoice`, {
      field: 'number',
    });
  }
  const key = creditNoteKey(input.number);
  const existing = await findByKey(db, key);
  if (existing) return existing;
  const invoice = corrected.document;
  return issueNumbered(db, {
    key,
    orgId: input.orgId,
    dueCents: 0,
    correctsNumber: input.number,
    actor: input.actor,
    document: {
      kind: 'credit_note',
      correctsNumber: input.number,
      memo: reason,
      org: invoice.org,
      periodStart: invoice.periodStart,
      periodEnd: invoice.periodEnd,
      issuedAt: input.at.toISOString(),
      lines: invoice.lines
        .filter((l) => l.amountCents !== 0)
        .map(({ paidBy: _paidBy, ...line }) => ({
          ...line,
          amountCents: 0 - line.amountCents,
          ...(line.unitCents !== undefined ? { unitCents: 0 - line.unitCents } : {}),
        })),
      payments: [],
    },
  });
}

/**
 * Takes the next number and stores the document in one transaction. The number comes from updating the
 * sequence's row, so a failed issue gives it back and concurrent issues queue for consecutive numbers:
 * no gaps. Two issues of one key at once: the loser's transaction, number and all, rolls back, and it
 * answers with the winner's document.
 */
async function issueNumbered(
  db: Db,
  input: {
    key: string;
    orgId: string;
    dueCents: number;
    correctsNumber?: string;
    walletLedgerThrough?: number | null;
    actor: AuditActor;
    document: Omit<InvoiceInput, 'number'>;
  },
): Promise<IssuedInvoice> {
  try {
    return await db.transaction().execute(async (tx) => {
      const { last_sequence: sequence } = await tx
        .updateTable('invoice_numbers')
        .set({ last_sequence: sql`last_sequence + 1` })
        .returning('last_sequence')
        .executeTakeFirstOrThrow();
      const number = invoiceNumber(new Date(input.document.issuedAt).getUTCFullYear(), sequence);
      const invoice = issueInvoice({ ...input.document, number });
      await tx
        .insertInto('invoices')
        .values({
          number,
          sequence,
          org_id: input.orgId,
          kind: invoice.kind,
          corrects_number: input.correctsNumber ?? null,
          business_key: input.key,
          period_start: new Date(invoice.periodStart),
          period_end: new Date(invoice.periodEnd),
          total_cents: invoice.totals.totalCents,
          due_cents: input.dueCents,
          document: JSON.stringify(invoice),
          wallet_ledger_through: input.walletLedgerThrough ?? null,
          issued_at: new Date(invoice.issuedAt),
        })
        .execute();
      // Issued and recorded together: no invoice exists that the audit trail does not show.
      await recordAuditEvent(tx, input.orgId, {
        actor: input.actor,
        action: invoice.kind === 'invoice' ? 'invoice.issued' : 'invoice.credit_note_issued',
        key: input.key,
        after: {
          number,
          ...(invoice.correctsNumber ? { correctsNumber: invoice.correctsNumber, reason: invoice.memo } : {}),
          periodStart: invoice.periodStart,
          periodEnd: invoice.periodEnd,
          totalCents: invoice.totals.totalCents,
          dueCents: input.dueCents,
        },
        occurredAt: new Date(invoice.issuedAt),
      });
      return { number, dueCents: input.dueCents, duplicate: false, invoice };
    });
  } catch (err) {
    const raced = await findByKey(db, input.key);
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
