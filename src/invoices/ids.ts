/**
 * Every name the invoices domain derives, built only here. An invoice is issued once per org and
 * period (its row's business_key); what it collects is one Stripe PaymentIntent keyed by its number.
 */

/** The issue of the invoice of the period starting at `periodStart`: one invoice, whatever the retries. */
export const invoiceKey = (orgId: string, periodStart: Date): string =>
  `invoice-period:${orgId}:${periodStart.toISOString()}`;

/** The credit note correcting invoice `number`: one per invoice. */
export const creditNoteKey = (number: string): string => `credit-note:${number}`;

export const INVOICE_COLLECTION_PREFIX = 'invoice:';

/** The billing_charges key (and Stripe business key) of what invoice `number` collects. */
export const invoiceCollectionKey = (number: string): string => `${INVOICE_COLLECTION_PREFIX}${number}`;
