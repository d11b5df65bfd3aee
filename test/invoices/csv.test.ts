import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { issueInvoice } from '../../src/invoices/checks';
import { CSV_COLUMNS, renderInvoiceCsv } from '../../src/invoices/csv';
import type { Invoice, InvoiceLine } from '../../src/invoices/document';
import { renderInvoiceJson } from '../../src/invoices/json';
import { agencyInvoice, byoInput, byoInvoice, creditNote, longInvoice } from './samples';

const readCsv = (text: string): Record<string, string>[] => parse(text, { bom: true, columns: true });

/** The row a JSON line should be, spelled independently of src/invoices/csv.ts. */
function expectedRow(invoice: Invoice, line: InvoiceLine): Record<string, string> {
  const dollars = (cents: number) => (cents / 100).toFixed(2);
  return {
    invoice_number: invoice.number,
    document_kind: invoice.kind,
    corrects_number: invoice.correctsNumber ?? '',
    period_start: invoice.periodStart,
    period_end: invoice.periodEnd,
    line_kind: line.kind,
    description: line.description,
    project_id: line.projectId ?? '',
    project_name: line.projectName ?? '',
    platform: line.platform ?? '',
    metric: line.metric ?? '',
    quantity: String(line.quantity),
    unit_price: line.unitCents === undefined ? '' : dollars(line.unitCents),
    amount: dollars(line.amountCents),
    currency: 'USD',
    paid_by: line.paidBy,
    unit_price_cents: line.unitCents === undefined ? '' : String(line.unitCents),
    amount_cents: String(line.amountCents),
  };
}

describe('the CSV rendering', () => {
  it('has a header row and one row per line, each equal to the JSON line', () => {
    for (const invoice of [agencyInvoice(), byoInvoice(), creditNote(), longInvoice()]) {
      const csv = renderInvoiceCsv(invoice);
      const json = JSON.parse(renderInvoiceJson(invoice)) as Invoice;
      const rows = readCsv(csv);
      expect(rows).toHaveLength(json.lines.length);
      rows.forEach((row, i) => expect(row).toEqual(expectedRow(json, json.lines[i]!)));
      expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
      // The amounts add up to the totals, split by who pays.
      const cents = (pred: (r: Record<string, string>) => boolean) =>
        rows.filter(pred).reduce((s, r) => s + Number(r.amount_cents), 0);
      expect(cents(() => true)).toBe(json.totals.totalCents);
      expect(cents((r) => r.paid_by === 'stripe')).toBe(json.totals.chargedCents);
      expect(cents((r) => r.paid_by === 'wallet')).toBe(json.totals.paidFromWalletCents);
    }
  });

  it('carries the period, project, platform, quantity, unit price and amount of a wallet debit', () => {
    const rows = readCsv(renderInvoiceCsv(agencyInvoice()));
    expect(
      rows.find(
        (r) => r.line_kind === 'ad_spend' && r.platform === 'meta' && r.project_name === 'Spring launch',
      ),
    ).toMatchObject({
      period_start: '2026-03-07T17:00:00.000Z',
      period_end: '2026-04-07T16:00:00.000Z',
      project_id: 'prj_0c5e2f9a-1b7d-4e3c-8a6f-2d4b9e7c1a50',
      quantity: '1',
      unit_price: '',
      amount: '12345.67',
      amount_cents: '1234567',
      paid_by: 'wallet',
    });
    const fee = rows.find(
      (r) => r.line_kind === 'platform_fee' && r.platform === 'meta' && r.project_name === 'Spring launch',
    );
    expect(fee?.amount).toBe('617.28');
    expect(rows.filter((r) => r.line_kind === 'proration').map((r) => r.amount)).toEqual([
      '-59.77',
      '273.64',
    ]);
  });

  it('is RFC 4180 with a UTF-8 byte-order mark, and quotes what needs quoting', () => {
    const input = byoInput();
    const tricky = 'Plan, "Plus" — monthly\nfor Zoë 日本';
    const invoice = issueInvoice({
      ...input,
      lines: [{ ...input.lines[0]!, description: tricky }, ...input.lines.slice(1)],
    });
    const csv = renderInvoiceCsv(invoice);
    expect(csv.startsWith('\ufeffinvoice_number,document_kind,')).toBe(true);
    expect(csv.split('\r\n')).toHaveLength(invoice.lines.length + 2); // header, rows, and the final CRLF
    expect(csv).toContain('"Plan, ""Plus"" — monthly\nfor Zoë 日本"');
    expect(readCsv(csv)[0]!.description).toBe(tricky);
  });

  it('never lets a spreadsheet run a description as a formula', () => {
    const input = byoInput();
    const formulas = ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tx'];
    const invoice = issueInvoice({
      ...input,
      lines: [
        ...input.lines,
        ...formulas.map((f, i) => ({
          kind: 'usage_overage' as const,
          description: f,
          metric: `formula_${i}`,
          quantity: 1,
          unitCents: 1,
          amountCents: 1,
        })),
      ],
    });
    const rows = readCsv(renderInvoiceCsv(invoice)).filter(
      (r) => r.line_kind === 'usage_overage' && (r.metric ?? '').startsWith('formula_'),
    );
    expect(rows.map((r) => r.description)).toEqual(formulas.map((f) => `'${f}`));
    // Numbers keep their sign: only free text is guarded.
    const credit = readCsv(renderInvoiceCsv(creditNote()));
    expect(credit.map((r) => r.amount)).toEqual(['-25.00', '-308.64']);
  });
});
