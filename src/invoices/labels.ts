import type { PlatformName, TopUpMethod } from '../wallet/statuses';
import type { Invoice, PaidBy, PaymentKind } from './document';

/** The words the PDF uses for the document's codes, in one place. */

export const PLATFORM_LABELS: Readonly<Record<PlatformName, string>> = {
  meta: 'Meta',
  tiktok: 'TikTok',
  google: 'Google',
};

export const PAID_BY_LABELS: Readonly<Record<PaidBy, string>> = {
  stripe: 'Card',
  wallet: 'Wallet',
  none: 'No charge',
};

export const PAYMENT_LABELS: Readonly<Record<PaymentKind, string>> = {
  top_up: 'Wallet top-up',
  withdrawal: 'Wallet withdrawal',
  collection: 'Payment collected',
};

export const METHOD_LABELS: Readonly<Record<TopUpMethod, string>> = {
  card: 'Card',
  ach: 'ACH',
  wire: 'Wire',
};

export const documentTitle = (invoice: Pick<Invoice, 'kind'>): string =>
  invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice';

/** `Mar 7, 2026` in the org's billing time zone (UTC when it has none). */
export function formatDate(iso: string, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone }).format(new Date(iso));
}

/**
 * The period as its two boundaries, [start, end): `Mar 7, 2026 – Apr 7, 2026`, the way Stripe prints a
 * billing period (the end is the next period's start, not its last day).
 */
export const formatPeriod = (invoice: Pick<Invoice, 'periodStart' | 'periodEnd' | 'org'>): string =>
  `${formatDate(invoice.periodStart, invoice.org.billingTimeZone)} – ${formatDate(invoice.periodEnd, invoice.org.billingTimeZone)}`;
