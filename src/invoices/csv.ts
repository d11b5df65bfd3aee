import { stringify } from 'csv-stringify/sync';
import { assertInvoice } from './checks';
import type { Invoice, InvoiceLine } from './document';
import { decimalAmount } from './money';

/**
 * The invoice as CSV for spreadsheets and accounting imports: a header row, then one row per line in
 * the document's order (RFC 4180 through csv-stringify: CRLF, fields quoted where they need it). Amounts
 * appear twice: as a plain decimal (`1234.56`, `-12.00`: no symbol, no grouping, what a spreadsheet reads
 * as a number) and as integer cents for exact sums. Payments and totals are not line items and are not
 * in it: the totals are sums of `amount_cents`, split by `paid_by`.
 *
 * The file starts with a UTF-8 byte-order mark so that Excel reads names outside ASCII correctly.
 * Free-text cells (description, project name, metric) that a spreadsheet would run as a formula
 * (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) get a leading `'`, OWASP's guard
 * against CSV injection; ids and numbers never need it.
 */
export const CSV_COLUMNS = [
  'invoice_number',
  'document_kind',
  'corrects_number',
  'period_start',
  'period_end',
  'line_kind',
  'description',
  'project_id',
  'project_name',
  'platform',
  'metric',
  'quantity',
  'unit_price',
  'amount',
  'currency',
  'paid_by',
  'unit_price_cents',
  'amount_cents',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

const FORMULA_START = /^[=+\-@\t\r]/;

/** Free text as a spreadsheet will show it, never as a formula it would run. */
export const spreadsheetText = (text: string | undefined): string =>
  text === undefined ? '' : FORMULA_START.test(text) ? `'${text}` : text;

function row(invoice: Invoice, line: InvoiceLine): Record<CsvColumn, string | number> {
  return {
    invoice_number: invoice.number,
    document_kind: invoice.kind,
    corrects_number: invoice.correctsNumber ?? '',
    period_start: invoice.periodStart,
    period_end: invoice.periodEnd,
    line_kind: line.kind,
    description: spreadsheetText(line.description),
    project_id: line.projectId ?? '',
    project_name: spreadsheetText(line.projectName),
    platform: line.platform ?? '',
    metric: spreadsheetText(line.metric),
    quantity: line.quantity,
    unit_price: line.unitCents === undefined ? '' : decimalAmount(line.unitCents),
    amount: decimalAmount(line.amountCents),
    currency: 'USD',
    paid_by: line.paidBy,
    unit_price_cents: line.unitCents ?? '',
    amount_cents: line.amountCents,
  };
}

export function renderInvoiceCsv(invoice: Invoice): string {
  assertInvoice(invoice);
  return stringify(
    invoice.lines.map((line) => row(invoice, line)),
    { header: true, columns: [...CSV_COLUMNS], bom: true, record_delimiter: 'windows' },
  );
}
