import { describe, expect, it } from 'vitest';
import { InvalidInvoiceError } from '../../src/invoices/checks';
import { invoiceToJson, parseInvoiceJson, renderInvoiceJson } from '../../src/invoices/json';
import { agencyInvoice, byoInvoice, creditNote, longInvoice } from './samples';

/** Rebuilds every object with its keys in reverse order, as a jsonb column might hand them back. */
function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, shuffleKeys(v)]),
    );
  }
  return value;
}

describe('the JSON rendering', () => {
  it('is the document itself and reads back equal', () => {
    for (const invoice of [agencyInvoice(), byoInvoice(), creditNote(), longInvoice()]) {
      const text = renderInvoiceJson(invoice);
      expect(JSON.parse(text)).toEqual(invoice);
      expect(parseInvoiceJson(text)).toEqual(invoice);
      expect(text.endsWith('}\n')).toBe(true);
    }
  });

  it('has one key order, whatever order the object was built or stored in', () => {
    const invoice = agencyInvoice();
    const text = renderInvoiceJson(invoice);
    const shuffled = parseInvoiceJson(JSON.stringify(shuffleKeys(JSON.parse(text))));
    expect(renderInvoiceJson(shuffled)).toBe(text);
    expect(Object.keys(invoiceToJson(invoice))).toEqual([
      'number',
      'kind',
      'org',
      'periodStart',
      'periodEnd',
      'issuedAt',
      'currency',
      'lines',
      'payments',
      'totals',
    ]);
    expect(Object.keys(invoiceToJson(creditNote())).slice(0, 4)).toEqual([
      'number',
      'kind',
      'correctsNumber',
      'memo',
    ]);
    const overage = invoiceToJson(invoice).lines as Record<string, unknown>[];
    expect(Object.keys(overage.find((l) => l.kind === 'credits_overage')!)).toEqual([
      'kind',
      'description',
      'projectId',
      'projectName',
      'quantity',
      'unitCents',
      'amountCents',
      'paidBy',
    ]);
  });

  it("has the simulator's invoice shape (issue 11) as a subset", () => {
    const json = JSON.parse(renderInvoiceJson(agencyInvoice()));
    for (const key of ['number', 'periodStart', 'periodEnd', 'lines', 'payments', 'totals'])
      expect(json).toHaveProperty(key);
    for (const line of json.lines) {
      expect(typeof line.kind).toBe('string');
      expect(Number.isInteger(line.quantity)).toBe(true);
      expect(Number.isInteger(line.amountCents)).toBe(true);
    }
    expect(json.totals.totalCents).toBe(
      json.lines.reduce((s: number, l: { amountCents: number }) => s + l.amountCents, 0),
    );
    for (const key of ['chargedCents', 'paidFromWalletCents', 'owedCents'])
      expect(Number.isInteger(json.totals[key])).toBe(true);
  });

  it('refuses a stored document that no longer adds up, or is not one', () => {
    const json = JSON.parse(renderInvoiceJson(agencyInvoice()));
    json.lines[0].amountCents += 1;
    expect(() => parseInvoiceJson(JSON.stringify(json))).toThrow(InvalidInvoiceError);
    expect(() => parseInvoiceJson('{"number": "LB-2026-000001"}')).toThrow(InvalidInvoiceError);
    expect(() => parseInvoiceJson('[]')).toThrow(InvalidInvoiceError);
    expect(() => parseInvoiceJson('{')).toThrow(SyntaxError);
  });

  it('reads back frozen, like an issued document', () => {
    const invoice = parseInvoiceJson(renderInvoiceJson(agencyInvoice()));
    expect(Object.isFrozen(invoice)).toBe(true);
    expect(Object.isFrozen(invoice.lines[0])).toBe(true);
    expect(Object.isFrozen(invoice.totals)).toBe(true);
  });
});
