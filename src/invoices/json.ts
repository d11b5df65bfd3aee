import { assertInvoice, InvalidInvoiceError, type InvoiceCheckOptions } from './checks';
import type { Invoice, InvoiceLine, InvoicePayment } from './document';

/**
 * The JSON rendering is the document itself (./document.ts), with its keys always in the order the type
 * declares them and absent optionals left out, whatever order the object was built or stored in (a
 * PostgreSQL jsonb column does not keep key order): the same invoice is the same bytes every time.
 */

const LINE_KEYS = [
  'kind',
  'description',
  'projectId',
  'projectName',
  'platform',
  'metric',
  'quantity',
  'unitCents',
  'amountCents',
  'paidBy',
] as const satisfies readonly (keyof InvoiceLine)[];
const PAYMENT_KEYS = [
  'kind',
  'method',
  'reference',
  'at',
  'amountCents',
] as const satisfies readonly (keyof InvoicePayment)[];
const ORG_KEYS = [
  'id',
  'name',
  'mode',
  'billingTimeZone',
] as const satisfies readonly (keyof Invoice['org'])[];
const TOTALS_KEYS = [
  'totalCents',
  'chargedCents',
  'paidFromWalletCents',
  'owedCents',
  'collectedCents',
] as const satisfies readonly (keyof Invoice['totals'])[];

function pick<T extends object>(o: T, keys: readonly (keyof T)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k as string] = o[k];
  return out;
}

/**
 * The invoice as a plain object in canonical key order (what an API route serves); `{ preview: true }`
 * for the open period's preview (InvoiceCheckOptions, ./checks.ts).
 */
export function invoiceToJson(invoice: Invoice, opts: InvoiceCheckOptions = {}): Record<string, unknown> {
  assertInvoice(invoice, opts);
  return {
    number: invoice.number,
    kind: invoice.kind,
    ...(invoice.correctsNumber !== undefined && { correctsNumber: invoice.correctsNumber }),
    ...(invoice.memo !== undefined && { memo: invoice.memo }),
    org: pick(invoice.org, ORG_KEYS),
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    issuedAt: invoice.issuedAt,
    currency: invoice.currency,
    lines: invoice.lines.map((l) => pick(l, LINE_KEYS)),
    payments: invoice.payments.map((p) => pick(p, PAYMENT_KEYS)),
    totals: pick(invoice.totals, TOTALS_KEYS),
  };
}

/** `invoice.json`: two-space indented, canonical key order, a final newline. */
export const renderInvoiceJson = (invoice: Invoice, opts: InvoiceCheckOptions = {}): string =>
  `${JSON.stringify(invoiceToJson(invoice, opts), null, 2)}\n`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A stored invoice read back: its invariants are checked again (a document that no longer adds up is
 * refused with InvalidInvoiceError, never shown) and it is frozen like an issued one.
 */
export function parseInvoiceJson(text: string): Invoice {
  const value: unknown = JSON.parse(text);
  if (
    !isObject(value) ||
    !isObject(value.org) ||
    !isObject(value.totals) ||
    !Array.isArray(value.lines) ||
    !Array.isArray(value.payments) ||
    !value.lines.every(isObject) ||
    !value.payments.every(isObject)
  ) {
    throw new InvalidInvoiceError(['an invoice is an object with org, lines[], payments[] and totals']);
  }
  const invoice = value as unknown as Invoice;
  assertInvoice(invoice);
  for (const part of [...invoice.lines, ...invoice.payments, invoice.org, invoice.totals])
    Object.freeze(part);
  Object.freeze(invoice.lines);
  Object.freeze(invoice.payments);
  return Object.freeze(invoice);
}
