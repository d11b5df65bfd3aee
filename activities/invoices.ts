import type { Db } from '../src/db/pool';
import { issuePeriodInvoice } from '../src/invoices/issue';
import { asActivity } from '../src/temporal/failures';

/**
 * The invoices' activities. Issuing is a database write of our own (idempotent per org and period), so
 * the billing workflow never gives it up; collecting what the invoice charges is one of its charges
 * (activities/billing.ts), keyed by the invoice number and dunned like a renewal.
 */
export function createInvoiceActivities(db: Db) {
  return {
    /** Issues the invoice of the closed period [periodStart, periodEnd); business time `at`. */
    issueInvoice: (input: { orgId: string; periodStart: string; periodEnd: string; at: string }) =>
      asActivity(async () => {
        const issued = await issuePeriodInvoice(db, {
          orgId: input.orgId,
          periodStart: new Date(input.periodStart),
          periodEnd: new Date(input.periodEnd),
          at: new Date(input.at),
        });
        return { number: issued.number, dueCents: issued.dueCents };
      }),
  };
}

export type InvoiceActivities = ReturnType<typeof createInvoiceActivities>;
