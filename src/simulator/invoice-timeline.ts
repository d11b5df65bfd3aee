import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/pool';
import { renderInvoiceCsv } from '../invoices/csv';
import type { Invoice, InvoiceLine, InvoicePayment } from '../invoices/document';
import { renderInvoicePdf } from '../invoices/pdf';

/**
 * The invoices the run's period closes issued, read back from the database (never rebuilt here), so the
 * timeline shows what the engine billed: each line a charge, the payments apart, and totals whose
 * `totalCents` is the sum of the lines.
 */
export interface TimelineInvoice {
  number: string;
  periodStart: string;
  periodEnd: string;
  lines: Array<
    Pick<InvoiceLine, 'kind' | 'description' | 'quantity' | 'amountCents'> &
      Partial<Pick<InvoiceLine, 'projectId' | 'platform' | 'metric' | 'unitCents'>>
  >;
  payments: InvoicePayment[];
  totals: { totalCents: number; chargedCents: number; paidFromWalletCents: number; owedCents: number };
}

export async function readInvoices(db: Db, orgId: string): Promise<Invoice[]> {
  const rows = await db
    .selectFrom('invoices')
    .select('document')
    .where('org_id', '=', orgId)
    .orderBy('sequence')
    .execute();
  return rows.map((r) => r.document);
}

export function timelineInvoice(invoice: Invoice): TimelineInvoice {
  const { totalCents, chargedCents, paidFromWalletCents, owedCents } = invoice.totals;
  return {
    number: invoice.number,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    lines: invoice.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      ...(l.projectId !== undefined ? { projectId: l.projectId } : {}),
      ...(l.platform !== undefined ? { platform: l.platform } : {}),
      ...(l.metric !== undefined ? { metric: l.metric } : {}),
      quantity: l.quantity,
      ...(l.unitCents !== undefined ? { unitCents: l.unitCents } : {}),
      amountCents: l.amountCents,
    })),
    payments: [...invoice.payments],
    totals: { totalCents, chargedCents, paidFromWalletCents, owedCents },
  };
}

/** `--invoices DIR`: each invoice as `<number>.pdf` and `<number>.csv`, what a finance team would file. */
export async function writeInvoiceFiles(dir: string, invoices: readonly Invoice[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const invoice of invoices) {
    const base = path.join(dir, invoice.number);
    await writeFile(`${base}.pdf`, await renderInvoicePdf(invoice));
    await writeFile(`${base}.csv`, renderInvoiceCsv(invoice));
    written.push(`${base}.pdf`, `${base}.csv`);
  }
  return written;
}
