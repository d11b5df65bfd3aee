import PDFDocument from 'pdfkit';
import { assertInvoice } from './checks';
import { SELLER_NAME, type Invoice, type InvoiceLine } from './document';
import {
  documentTitle,
  formatDate,
  formatPeriod,
  METHOD_LABELS,
  PAID_BY_LABELS,
  PAYMENT_LABELS,
  PLATFORM_LABELS,
} from './labels';
import { groupLines, walletRows, type LineGroup } from './lines';
import { formatCount, formatUsd } from './money';
import { COLOR, drawHeaderRow, drawRow, Flow, FONT, measureRow, SIZE, type Column } from './pdf-layout';
import { winAnsi } from './pdf-text';

/**
 * The invoice as a PDF a finance team files: the seller and the document's number, dates and period;
 * who is billed; the lines in their groups (./lines.ts), each group a table with its column headers,
 * repeated on every page it runs onto, and a subtotal; the payments; the totals; "Page N of M" on every
 * page.
 *
 * pdfkit rather than pdf-lib: pdfkit measures and wraps text, flows pages and buffers them so that the
 * page count can be written on every page at the end; pdf-lib only places glyphs at coordinates, and
 * all of that would be ours to write. Only the standard Helvetica faces are used (no font file is
 * embedded or fetched; ./pdf-text.ts says what that costs). US Letter, since the currency is USD.
 */

const MARGIN = 48;
const SELLER_CONTACT = 'support@layers.com';

const amountCol = (header = 'Amount'): Column => ({ header, width: 84, align: 'right' });

/** Subscription, credit packs and usage: one priced line per row. */
const LINE_COLUMNS: Column[] = [
  { header: 'Description', width: 242 },
  { header: 'Qty', width: 60, align: 'right' },
  { header: 'Unit price', width: 72, align: 'right' },
  { header: 'Paid by', width: 58 },
  amountCol(),
];

/** Credits: the same, quantities in credits, under a heading per project. */
const CREDIT_COLUMNS: Column[] = LINE_COLUMNS.map((c) =>
  c.header === 'Qty' ? { ...c, header: 'Credits' } : c,
);

/** Wallet debits: one row per project and platform, spend and fee side by side. */
const WALLET_COLUMNS: Column[] = [
  { header: 'Platform', width: 180 },
  { header: 'Ad spend', width: 110, align: 'right' },
  { header: 'Platform fee', width: 110, align: 'right' },
  { header: 'Total', width: 116, align: 'right' },
];

const PAYMENT_COLUMNS: Column[] = [
  { header: 'Date', width: 82 },
  { header: 'Type', width: 112 },
  { header: 'Method', width: 56 },
  { header: 'Reference', width: 182 },
  amountCol(),
];

const dash = '—';
const sum = (lines: readonly InvoiceLine[]) => lines.reduce((s, l) => s + l.amountCents, 0);

function lineCells(line: InvoiceLine): string[] {
  return [
    line.description,
    formatCount(line.quantity),
    line.unitCents === undefined ? dash : formatUsd(line.unitCents),
    PAID_BY_LABELS[line.paidBy],
    formatUsd(line.amountCents),
  ];
}

const projectLabel = (p: { projectId?: string; projectName?: string }) =>
  p.projectName ? `Project ${p.projectName} (${p.projectId})` : `Project ${p.projectId}`;

/** The document's header on page 1: seller and title, then who is billed beside the document's facts. */
function drawHeader(flow: Flow, invoice: Invoice): void {
  const { doc } = flow;
  const top = flow.y;
  const right = flow.left + flow.width;
  doc.font(FONT.bold).fontSize(22).fillColor(COLOR.text).text(winAnsi(SELLER_NAME), flow.left, top);
  doc
    .font(FONT.regular)
    .fontSize(SIZE.small)
    .fillColor(COLOR.muted)
    .text(SELLER_CONTACT, flow.left, top + 28);
  doc
    .font(FONT.bold)
    .fontSize(20)
    .fillColor(COLOR.text)
    .text(documentTitle(invoice).toUpperCase(), flow.left, top, { width: flow.width, align: 'right' });

  const facts: [string, string][] = [
    [`${documentTitle(invoice)} number`, invoice.number],
    ...(invoice.correctsNumber ? ([['Corrects invoice', invoice.correctsNumber]] as [string, string][]) : []),
    ['Issue date', formatDate(invoice.issuedAt, invoice.org.billingTimeZone)],
    ['Billing period', formatPeriod(invoice)],
    ['Currency', 'USD'],
    [invoice.kind === 'credit_note' ? 'Total credited' : 'Total', formatUsd(invoice.totals.totalCents)],
  ];
  const factsTop = top + 52;
  const labelW = 100;
  const valueW = 160;
  facts.forEach(([label, value], i) => {
    const y = factsTop + i * 14;
    doc.font(FONT.regular).fontSize(SIZE.body).fillColor(COLOR.muted);
    doc.text(winAnsi(label), right - labelW - valueW, y, { width: labelW });
    doc.font(FONT.bold).fillColor(COLOR.text);
    doc.text(winAnsi(value), right - valueW, y, { width: valueW, align: 'right' });
  });

  const org = invoice.org;
  const billed: [string, string, string][] = [
    ['Billed to', FONT.regular, COLOR.muted],
    [org.name, FONT.bold, COLOR.text],
    [`Organization ${org.id}`, FONT.regular, COLOR.muted],
    [
      org.mode === 'agency'
        ? 'Agency mode: ad spend paid from the Layers wallet'
        : 'BYO mode: ad platforms bill you directly',
      FONT.regular,
      COLOR.muted,
    ],
    [`Dates in ${org.billingTimeZone ?? 'UTC'}`, FONT.regular, COLOR.muted],
  ];
  let y = factsTop;
  for (const [text, font, color] of billed) {
    doc
      .font(font)
      .fontSize(font === FONT.bold ? 11 : SIZE.body)
      .fillColor(color);
    const s = winAnsi(text);
    doc.text(s, flow.left, y, { width: flow.width - labelW - valueW - 16 });
    y += doc.heightOfString(s, { width: flow.width - labelW - valueW - 16 }) + 2;
  }
  flow.y = Math.max(y, factsTop + facts.length * 14) + 10;
  flow.rule(COLOR.strongRule, 1);
  flow.y += 10;

  if (invoice.kind === 'credit_note') {
    flow.line(
      `This credit note corrects invoice ${invoice.correctsNumber}, which stays as it was issued. ` +
        'Amounts in parentheses are credited to you.',
      { color: COLOR.muted, gapAfter: invoice.memo ? 2 : 10 },
    );
  }
  if (invoice.memo) flow.line(`Note: ${invoice.memo}`, { gapAfter: 10 });
}

function drawRunningHeader(invoice: Invoice) {
  return (flow: Flow) => {
    flow.line(`${SELLER_NAME} · ${documentTitle(invoice)} ${invoice.number} · ${invoice.org.name}`, {
      size: SIZE.small,
      color: COLOR.muted,
      gapAfter: 4,
    });
    flow.rule();
    flow.y += 8;
  };
}

function sectionTitle(flow: Flow, title: string, continued: boolean): void {
  flow.line(continued ? `${title} (continued)` : title, { font: FONT.bold, size: SIZE.section, gapAfter: 4 });
}

/** A section: its title and table header stay with its first row and repeat on every page it runs onto. */
function section(flow: Flow, title: string, columns: Column[], firstRow: string[], body: () => void): void {
  flow.room(
    18 +
      2 *
        measureRow(
          flow,
          columns,
          columns.map((c) => c.header),
        ) +
      measureRow(flow, columns, firstRow),
  );
  flow.repeating((continued) => {
    sectionTitle(flow, title, continued);
    drawHeaderRow(flow, columns);
  }, body);
  flow.y += 14;
}

function subtotalRow(flow: Flow, columns: Column[], cells: string[]): void {
  drawRow(flow, columns, cells, {
    font: FONT.bold,
    strongRuleAbove: true,
    span: [0, columns.length - cells.length],
    spanAlign: 'right',
  });
}

/** Rows under a heading per project (credits, wallet), the heading repeated when a project spans pages. */
function perProject<T extends { projectId?: string; projectName?: string }>(
  flow: Flow,
  columns: Column[],
  items: T[],
  row: (item: T) => void,
): void {
  let i = 0;
  while (i < items.length) {
    const first = items[i]!;
    const mine: T[] = [];
    while (i < items.length && items[i]!.projectId === first.projectId) mine.push(items[i++]!);
    const heading = (continued: boolean) =>
      drawRow(flow, columns, [continued ? `${projectLabel(first)} (continued)` : projectLabel(first)], {
        font: FONT.bold,
        span: [0, columns.length - 1],
      });
    flow.room(2 * measureRow(flow, columns, ['x']) + 4);
    flow.repeating(heading, () => mine.forEach(row));
  }
}

function drawLineGroup(flow: Flow, group: LineGroup): void {
  if (group.id === 'wallet') return drawWallet(flow, group);
  const columns = group.id === 'credits' ? CREDIT_COLUMNS : LINE_COLUMNS;
  const row = (line: InvoiceLine) => drawRow(flow, columns, lineCells(line));
  section(flow, group.title, columns, lineCells(group.lines[0]!), () => {
    if (group.id === 'credits') perProject(flow, columns, group.lines, row);
    else group.lines.forEach(row);
    subtotalRow(flow, columns, ['Subtotal', formatUsd(sum(group.lines))]);
  });
}

function drawWallet(flow: Flow, group: LineGroup): void {
  const rows = walletRows(group.lines);
  const cells = (r: (typeof rows)[number]) => [
    PLATFORM_LABELS[r.platform],
    r.spend ? formatUsd(r.spend.amountCents) : dash,
    r.fee ? formatUsd(r.fee.amountCents) : dash,
    formatUsd((r.spend?.amountCents ?? 0) + (r.fee?.amountCents ?? 0)),
  ];
  section(flow, group.title, WALLET_COLUMNS, cells(rows[0]!), () => {
    perProject(flow, WALLET_COLUMNS, rows, (r) => drawRow(flow, WALLET_COLUMNS, cells(r)));
    const spend = sum(group.lines.filter((l) => l.kind === 'ad_spend'));
    const fee = sum(group.lines.filter((l) => l.kind === 'platform_fee'));
    drawRow(flow, WALLET_COLUMNS, ['Subtotal', formatUsd(spend), formatUsd(fee), formatUsd(spend + fee)], {
      font: FONT.bold,
      strongRuleAbove: true,
    });
  });
}

function drawPayments(flow: Flow, invoice: Invoice): void {
  if (invoice.payments.length === 0) return;
  const tz = invoice.org.billingTimeZone;
  const cells = (p: Invoice['payments'][number]) => [
    formatDate(p.at, tz),
    PAYMENT_LABELS[p.kind],
    p.method ? METHOD_LABELS[p.method] : dash,
    p.reference ?? dash,
    formatUsd(p.amountCents),
  ];
  const title =
    invoice.org.mode === 'agency' ? 'Payments and wallet movements (not charges)' : 'Payments (not charges)';
  section(flow, title, PAYMENT_COLUMNS, cells(invoice.payments[0]!), () => {
    for (const p of invoice.payments) drawRow(flow, PAYMENT_COLUMNS, cells(p));
  });
}

/**
 * The totals, in a block on the right: the sum of the lines, then each way it is paid beside what of it
 * is settled (Stripe: charged and already collected; the wallet: paid from it and still owed).
 */
function drawTotals(flow: Flow, invoice: Invoice): void {
  const t = invoice.totals;
  const agency = invoice.org.mode === 'agency';
  const credit = invoice.kind === 'credit_note';
  const rows: [string, number][] = credit
    ? [
        ['Credited through Stripe (card)', t.chargedCents],
        ...(agency ? ([['Credited to the wallet', t.paidFromWalletCents]] as [string, number][]) : []),
      ]
    : [
        ['Charged through Stripe (card)', t.chargedCents],
        ['Already collected through Stripe', t.collectedCents],
        ...(agency
          ? ([
              ['Paid from the wallet', t.paidFromWalletCents],
              ['Owed: wallet below zero', t.owedCents],
            ] as [string, number][])
          : []),
      ];
  const columns: Column[] = [{ header: '', width: 212 }, amountCol()];
  const inset = flow.width - 296;
  flow.room((rows.length + 2) * 20 + 20);
  flow.repeating(
    (continued) => sectionTitle(flow, 'Totals', continued),
    () => {
      drawRow(flow, columns, [credit ? 'Total credited' : 'Total', formatUsd(t.totalCents)], {
        font: FONT.bold,
        fill: COLOR.fill,
        inset,
      });
      for (const [label, cents] of rows) drawRow(flow, columns, [label, formatUsd(cents)], { inset });
    },
  );
  if (agency && t.owedCents > 0) {
    flow.y += 6;
    flow.line(
      `The wallet ended the period ${formatUsd(t.owedCents)} below zero: that part of the ad spend is still ` +
        'owed and is settled by the next top-up.',
      { size: SIZE.small, color: COLOR.muted },
    );
  }
}

/** "Page N of M" and the document's number at the foot of every page, once all pages exist. */
function drawFooters(doc: PDFKit.PDFDocument, invoice: Invoice): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // The footer sits in the bottom margin; without this pdfkit would start a page to hold it.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN + 8;
    const width = doc.page.width - 2 * MARGIN;
    doc.font(FONT.regular).fontSize(SIZE.small).fillColor(COLOR.muted);
    doc.text(winAnsi(`${documentTitle(invoice)} ${invoice.number} · ${formatPeriod(invoice)}`), MARGIN, y, {
      width,
      lineBreak: false,
    });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN, y, {
      width,
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
}

/** The PDF, whole, in memory (an invoice is some kilobytes per page). */
export async function renderInvoicePdf(invoice: Invoice): Promise<Buffer> {
  assertInvoice(invoice);
  const issued = new Date(invoice.issuedAt);
  const doc = new PDFDocument({
    size: 'LETTER',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: winAnsi(`${documentTitle(invoice)} ${invoice.number}`),
      Author: SELLER_NAME,
      Subject: winAnsi(`${invoice.org.name}, ${formatPeriod(invoice)}`),
      // The issue time, not the render time: the same invoice renders to the same document.
      CreationDate: issued,
      ModDate: issued,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const flow = new Flow(doc, drawRunningHeader(invoice));
  drawHeader(flow, invoice);
  const groups = groupLines(invoice.lines);
  if (groups.length === 0) flow.line('No charges in this period.', { color: COLOR.muted, gapAfter: 14 });
  for (const group of groups) drawLineGroup(flow, group);
  drawPayments(flow, invoice);
  drawTotals(flow, invoice);
  drawFooters(doc, invoice);
  doc.end();
  return done;
}
