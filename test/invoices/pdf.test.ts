import { describe, expect, it } from 'vitest';
import { InvalidInvoiceError, issueInvoice } from '../../src/invoices/checks';
import { renderInvoiceCsv } from '../../src/invoices/csv';
import type { Invoice, InvoiceLine } from '../../src/invoices/document';
import { renderInvoiceJson } from '../../src/invoices/json';
import { formatCount, formatUsd } from '../../src/invoices/money';
import { renderInvoicePdf } from '../../src/invoices/pdf';
import { winAnsi } from '../../src/invoices/pdf-text';
import { readPdfText, type PdfText } from './pdf-text';
import { agencyInvoice, byoInput, byoInvoice, creditNote, longInvoice } from './samples';

/**
 * Every PDF is read back with PDF.js and held to its JSON: each line's row (description, quantity, unit
 * price, who pays, amount), each project's wallet row (spend and fee side by side), in the order of the
 * JSON's lines and under the right headings, the totals, the number, the period and the page numbers.
 */

const PLATFORM = { meta: 'Meta', tiktok: 'TikTok', google: 'Google' } as const;
const PAID = { stripe: 'Card', wallet: 'Wallet', none: 'No charge' } as const;
const LINE_HEADER = ['Description', 'Qty', 'Unit price', 'Paid by', 'Amount'];
const CREDIT_HEADER = ['Description', 'Credits', 'Unit price', 'Paid by', 'Amount'];
const WALLET_HEADER = ['Platform', 'Ad spend', 'Platform fee', 'Total'];

const project = (l: InvoiceLine) => [
  l.projectName ? `Project ${l.projectName} (${l.projectId})` : `Project ${l.projectId}`,
];
const lineRow = (l: InvoiceLine) => [
  l.description,
  formatCount(l.quantity),
  l.unitCents === undefined ? '—' : formatUsd(l.unitCents),
  PAID[l.paidBy],
  formatUsd(l.amountCents),
];
const sum = (lines: readonly InvoiceLine[]) => lines.reduce((s, l) => s + l.amountCents, 0);

/**
 * The rows the PDF must show, in order, built from the JSON alone: group titles, column headers,
 * project headings, one row per line (one per project and platform for wallet lines), subtotals.
 */
function expectedRows(invoice: Invoice): string[][] {
  const rows: string[][] = [];
  const of = (kinds: string[]) => invoice.lines.filter((l) => kinds.includes(l.kind));
  const simple = (title: string, kinds: string[]) => {
    const lines = of(kinds);
    if (lines.length === 0) return;
    rows.push([title], LINE_HEADER, ...lines.map(lineRow), ['Subtotal', formatUsd(sum(lines))]);
  };
  simple('Subscription', ['subscription', 'proration']);
  const credits = invoice.lines.filter((l) => l.kind.startsWith('credits_'));
  if (credits.length > 0) {
    rows.push(['Credits consumed by project'], CREDIT_HEADER);
    credits.forEach((l, i) => {
      if (credits[i - 1]?.projectId !== l.projectId) rows.push(project(l));
      rows.push(lineRow(l));
    });
    rows.push(['Subtotal', formatUsd(sum(credits))]);
  }
  simple('Credit packs', ['credit_pack']);
  const wallet = of(['ad_spend', 'platform_fee']);
  if (wallet.length > 0) {
    rows.push(['Ad spend by project, paid from the wallet'], WALLET_HEADER);
    wallet.forEach((l, i) => {
      const prev = wallet[i - 1];
      if (prev && prev.projectId === l.projectId && prev.platform === l.platform) return;
      if (prev?.projectId !== l.projectId) rows.push(project(l));
      const pair = wallet.filter((w) => w.projectId === l.projectId && w.platform === l.platform);
      const spend = pair.find((w) => w.kind === 'ad_spend');
      const fee = pair.find((w) => w.kind === 'platform_fee');
      rows.push([
        PLATFORM[l.platform!],
        spend ? formatUsd(spend.amountCents) : '—',
        fee ? formatUsd(fee.amountCents) : '—',
        formatUsd(sum(pair)),
      ]);
    });
    const spend = sum(wallet.filter((l) => l.kind === 'ad_spend'));
    const fee = sum(wallet.filter((l) => l.kind === 'platform_fee'));
    rows.push(['Subtotal', formatUsd(spend), formatUsd(fee), formatUsd(spend + fee)]);
  }
  simple('Usage over allowance', ['usage_overage']);
  return rows;
}

/** `expected` appears in `actual` in this order (other lines may come between). */
function expectInOrder(actual: string[][], expected: string[][]): void {
  let at = 0;
  for (const row of expected) {
    const found = actual.findIndex((cells, i) => i >= at && JSON.stringify(cells) === JSON.stringify(row));
    expect(found, `row ${JSON.stringify(row)} after line ${at}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

const HEADERS = [LINE_HEADER, CREDIT_HEADER, WALLET_HEADER].map((h) => JSON.stringify(h));

/**
 * The text of all pages as one document: without the footers, and without what a page break repeats
 * (the running header, the section title and column headers "(continued)", a project's heading again).
 */
const body = (text: PdfText): string[][] =>
  text.pages.flatMap((page, n) => {
    let lines = page.slice(0, -1);
    if (n > 0) {
      lines = lines.slice(1);
      if (lines[0]?.[0]?.endsWith('(continued)'))
        lines = lines.slice(HEADERS.includes(JSON.stringify(lines[1])) ? 2 : 1);
    }
    return lines.filter((cells) => !cells[0]!.endsWith('(continued)'));
  });

async function rendered(invoice: Invoice) {
  // The PDF is held to the JSON, so it is read from the JSON rendering, not from the object.
  const json = JSON.parse(renderInvoiceJson(invoice)) as Invoice;
  const text = await readPdfText(await renderInvoicePdf(invoice));
  return { json, text };
}

function expectPageNumbers(text: PdfText): void {
  text.pages.forEach((page, i) => {
    expect(page.at(-1)!.at(-1), `footer of page ${i + 1}`).toBe(`Page ${i + 1} of ${text.pages.length}`);
  });
}

function expectTotals(text: PdfText, rows: [string, number][]): void {
  const totals = text.lines.slice(text.lines.lastIndexOf('Totals'));
  expect(totals.slice(1, rows.length + 1)).toEqual(
    rows.map(([label, cents]) => `${label} | ${formatUsd(cents)}`),
  );
}

describe('the PDF of an agency invoice', () => {
  it('shows the header: seller, title, number, dates, period, who is billed', async () => {
    const { json, text } = await rendered(agencyInvoice());
    expect(text.pages[0]![0]).toEqual(['Layers', 'INVOICE']);
    expect(text.lines).toContain(`Billed to | Invoice number | ${json.number}`);
    expect(text.lines).toContain('Northwind Creative Ltd. | Issue date | Apr 7, 2026');
    expect(text.lines).toContain(`Organization ${json.org.id} | Billing period | Mar 7, 2026 – Apr 7, 2026`);
    expect(text.lines).toContain(`Total | ${formatUsd(json.totals.totalCents)}`);
    expect(text.lines).toContain('Dates in America/New_York');
    expect(text.info).toMatchObject({
      Title: `Invoice ${json.number}`,
      Author: 'Layers',
      CreationDate: 'D:20260407160005Z',
    });
  });

  it('shows every line under its group and project, in the JSON order, with spend and fee side by side', async () => {
    const { json, text } = await rendered(agencyInvoice());
    expectInOrder(body(text), expectedRows(json));
    // The pairing, spelled out for one row: Spring launch's Meta spend and fee on one line.
    expect(text.lines).toContain('Meta | $12,345.67 | $617.28 | $12,962.95');
    expect(text.lines).toContain('Unused time on Pro after Mar 20, 2026 | 1 | ($59.77) | Card | ($59.77)');
    expect(text.lines).toContain('Overage credits | 1,250 | $0.10 | Card | $125.00');
  });

  it('lists payments as payments, not charges, and ends with the totals and what the wallet owes', async () => {
    const { json, text } = await rendered(agencyInvoice());
    expectInOrder(body(text), [
      ['Payments and wallet movements (not charges)'],
      ['Date', 'Type', 'Method', 'Reference', 'Amount'],
      ['Mar 7, 2026', 'Payment collected', 'Card', 'pi_renewal_0042', '$109.00'],
      ['Mar 8, 2026', 'Wallet top-up', 'Card', 'wallet-top-up:auto:2026-03-08', '$10,000.00'],
      ['Mar 20, 2026', 'Payment collected', 'Card', 'pi_upgrade_team', '$213.87'],
      ['Mar 24, 2026', 'Wallet top-up', 'Wire', 'wire:NWC-2026-03', '$5,000.00'],
      ['Mar 30, 2026', 'Wallet withdrawal', 'Card', 're_3PqL0x', '$200.00'],
    ]);
    const t = json.totals;
    expectTotals(text, [
      ['Total', t.totalCents],
      ['Charged through Stripe (card)', t.chargedCents],
      ['Already collected through Stripe', t.collectedCents],
      ['Paid from the wallet', t.paidFromWalletCents],
      ['Owed: wallet below zero', t.owedCents],
    ]);
    expect(text.lines.some((l) => l.startsWith('The wallet ended the period $43.21 below zero'))).toBe(true);
  });

  it('numbers its pages "Page N of M" and repeats the section header on the next page', async () => {
    const { text } = await rendered(agencyInvoice());
    expect(text.pages).toHaveLength(2);
    expectPageNumbers(text);
    expect(text.pages[1]![0]).toEqual(['Layers · Invoice LB-2026-000042 · Northwind Creative Ltd.']);
    expect(text.pages[1]![1]).toEqual(['Ad spend by project, paid from the wallet (continued)']);
    expect(text.pages[1]![2]).toEqual(WALLET_HEADER);
  });

  it('renders the same bytes every time: the document is dated by its issue, not its rendering', async () => {
    const invoice = agencyInvoice();
    expect((await renderInvoicePdf(invoice)).equals(await renderInvoicePdf(invoice))).toBe(true);
  });
});

describe('the PDF of a BYO invoice', () => {
  it('has no media spend, no platform fee and no wallet totals', async () => {
    const { json, text } = await rendered(byoInvoice());
    expectInOrder(body(text), expectedRows(json));
    expect(text.lines).toContain('BYO mode: ad platforms bill you directly');
    for (const absent of ['Ad spend', 'Platform fee', 'wallet', 'Owed']) {
      expect(text.lines.filter((l) => l.includes(absent) && !l.startsWith('BYO mode'))).toEqual([]);
    }
    expect(text.lines).toContain('Payments (not charges)');
    expectTotals(text, [
      ['Total', 2_800],
      ['Charged through Stripe (card)', 2_800],
      ['Already collected through Stripe', 1_900],
    ]);
    expect(text.lines).toContain('Dates in UTC');
    expectPageNumbers(text);
    expect(text.lines.at(-1)).toBe('Invoice LB-2026-000043 · Mar 1, 2026 – Apr 1, 2026 | Page 1 of 1');
  });
});

describe('the PDF of an invoice without lines', () => {
  it('says there were no charges and totals zero', async () => {
    const invoice = issueInvoice({ ...byoInput(), lines: [], payments: [] });
    const text = await readPdfText(await renderInvoicePdf(invoice));
    expect(text.lines).toContain('No charges in this period.');
    expect(text.lines).not.toContain('Payments (not charges)');
    expectTotals(text, [
      ['Total', 0],
      ['Charged through Stripe (card)', 0],
      ['Already collected through Stripe', 0],
    ]);
  });

  it('is refused when the document breaks its invariants, like the other renderings', async () => {
    const invoice = byoInvoice();
    const broken = { ...invoice, totals: { ...invoice.totals, totalCents: 1 } };
    await expect(renderInvoicePdf(broken)).rejects.toThrow(InvalidInvoiceError);
    expect(() => renderInvoiceCsv(broken)).toThrow(InvalidInvoiceError);
    expect(() => renderInvoiceJson(broken)).toThrow(InvalidInvoiceError);
  });
});

describe('the PDF of a credit note', () => {
  it('is titled "Credit note", names the invoice it corrects and totals what it credits', async () => {
    const { json, text } = await rendered(creditNote());
    expect(text.pages[0]![0]).toEqual(['Layers', 'CREDIT NOTE']);
    expect(text.lines).toContain(`Billed to | Credit note number | ${json.number}`);
    expect(text.lines).toContain('Northwind Creative Ltd. | Corrects invoice | LB-2026-000042');
    expect(text.lines.some((l) => l.startsWith('This credit note corrects invoice LB-2026-000042'))).toBe(
      true,
    );
    expect(text.lines.some((l) => l.startsWith('Note: The platform fee on Spring launch Meta spend'))).toBe(
      true,
    );
    expectInOrder(body(text), expectedRows(json));
    expect(text.lines).toContain('Meta | — | ($308.64) | ($308.64)');
    expectTotals(text, [
      ['Total credited', -33_364],
      ['Credited through Stripe (card)', -2_500],
      ['Credited to the wallet', -30_864],
    ]);
    expect(text.lines.at(-1)).toBe('Credit note LB-2026-000051 · Mar 7, 2026 – Apr 7, 2026 | Page 1 of 1');
  });
});

describe('the PDF of a 401-line invoice', () => {
  it('runs over many pages, each numbered, each table page under its repeated column headers', async () => {
    const invoice = longInvoice();
    expect(invoice.lines.length).toBeGreaterThanOrEqual(400);
    const { json, text } = await rendered(invoice);
    const pages = text.pages.length;
    expect(pages).toBeGreaterThanOrEqual(8);
    expectPageNumbers(text);
    text.pages.slice(1).forEach((page, i) => {
      expect(page[0], `page ${i + 2}`).toEqual(['Layers · Invoice LB-2026-000100 · Big Agency Group']);
      // A section runs on "(continued)", or a new one starts the page (it would not fit with a row below).
      expect(page[1]![0], `page ${i + 2}`).toMatch(
        /(\(continued\)|^Ad spend by project, paid from the wallet|^Totals)$/,
      );
      if (!page[1]![0]!.startsWith('Totals')) {
        expect([CREDIT_HEADER, WALLET_HEADER], `page ${i + 2}`).toContainEqual(page[2]);
        // A project cut by the page break gets its heading again; otherwise a project starts the page.
        expect(page[3]![0], `page ${i + 2}`).toMatch(/^Project Client \d+ \(prj_\d+\)/);
      }
    });
    expectInOrder(body(text), expectedRows(json));
    expectTotals(text, [
      ['Total', json.totals.totalCents],
      ['Charged through Stripe (card)', 49_900 + 30_000],
      ['Already collected through Stripe', 0],
      ['Paid from the wallet', json.totals.paidFromWalletCents],
      ['Owed: wallet below zero', 0],
    ]);
  });
});

describe('text the standard fonts cannot show', () => {
  it('prints as ? in the PDF and stays whole in the JSON', async () => {
    const input = byoInput();
    const invoice = issueInvoice({ ...input, org: { ...input.org, name: 'Zoë Studio 日本 − Ω' } });
    const text = await readPdfText(await renderInvoicePdf(invoice));
    expect(text.lines).toContain('Zoë Studio ?? - ? | Issue date | Apr 1, 2026');
    expect(JSON.parse(renderInvoiceJson(invoice)).org.name).toBe('Zoë Studio 日本 − Ω');
    expect(winAnsi('Café – “quoted” € ™')).toBe('Café – “quoted” € ™');
    expect(winAnsi('e\u0301')).toBe('é'); // decomposed accents are composed first
    expect(winAnsi('😀 a\nb')).toBe('? a b');
  });
});
