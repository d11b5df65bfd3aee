import { BILLING_MODES } from '../orgs/statuses';
import { AD_PLATFORMS, TOP_UP_METHODS } from '../wallet/statuses';
import {
  DOCUMENT_KINDS,
  INVOICE_LINE_KINDS,
  INVOICE_NUMBER_PATTERN,
  PAID_BY,
  PAYMENT_KINDS,
  PREVIEW_NUMBER,
  type DocumentKind,
  type Invoice,
  type InvoiceLine,
  type InvoiceLineInput,
  type InvoiceOrg,
  type InvoicePayment,
  type InvoiceTotals,
} from './document';
import { groupOf, isGrouped, orderLines } from './lines';
import { totalsOf, type TotalsContext } from './totals';

/**
 * A document that breaks its invariants: built wrong by our own code, never the caller's input, so it
 * is an error to fix, not a 4xx. `problems` lists every broken rule, each naming its field.
 */
export class InvalidInvoiceError extends Error {
  override readonly name = 'InvalidInvoiceError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid invoice: ${problems.join('; ')}`);
  }
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isTime = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));
const oneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (values as readonly string[]).includes(v);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Kinds whose lines belong to one project: credits consumed and wallet debits. */
const PER_PROJECT = new Set(['credits', 'wallet']);

function lineProblems(line: InvoiceLine, at: string, kind: DocumentKind, mode: InvoiceOrg['mode']): string[] {
  const p: string[] = [];
  if (!oneOf(INVOICE_LINE_KINDS, line.kind)) return [`${at}.kind: unknown line kind ${String(line.kind)}`];
  const group = groupOf(line.kind);
  if (!isText(line.description)) p.push(`${at}.description: must not be blank`);
  if (!Number.isSafeInteger(line.quantity) || line.quantity < 0) {
    p.push(`${at}.quantity: must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(line.amountCents)) p.push(`${at}.amountCents: must be a safe integer of cents`);
  if (line.paidBy !== PAID_BY[line.kind]) {
    p.push(`${at}.paidBy: a ${line.kind} line is paid by ${PAID_BY[line.kind]}`);
  }
  if (line.unitCents !== undefined) {
    if (!Number.isSafeInteger(line.unitCents)) p.push(`${at}.unitCents: must be a safe integer of cents`);
    else if (line.quantity * line.unitCents !== line.amountCents) {
      p.push(`${at}.amountCents: must be quantity × unitCents (${line.quantity} × ${line.unitCents})`);
    }
  }
  // Usage is priced pro rata per block (8 ¢ per 1,000 events, rounded once), so its lines carry the
  // quantity and the rate in words, with no whole unit price; credit overage always has one.
  if (line.kind === 'credits_overage' && line.unitCents === undefined) {
    p.push(`${at}.unitCents: overage is priced per unit`);
  }
  if (PAID_BY[line.kind] === 'none' && line.amountCents !== 0) {
    p.push(`${at}.amountCents: ${line.kind} credits cost nothing on this invoice (0)`);
  }
  if (PER_PROJECT.has(group) && !isText(line.projectId)) p.push(`${at}.projectId: required on ${line.kind}`);
  if (group === 'wallet') {
    if (!oneOf(AD_PLATFORMS, line.platform))
      p.push(`${at}.platform: must be one of ${AD_PLATFORMS.join(', ')}`);
    if (line.unitCents !== undefined) p.push(`${at}.unitCents: wallet lines have no unit price`);
    if (mode === 'byo') p.push(`${at}.kind: a BYO org has no wallet, so no ${line.kind} lines`);
  } else if (line.platform !== undefined) {
    p.push(`${at}.platform: only wallet lines name a platform`);
  }
  if (line.kind === 'usage_overage' && !isText(line.metric)) p.push(`${at}.metric: required on usage lines`);
  // On an invoice only a plan change gives money back; every line of a credit note may.
  if (kind === 'invoice' && line.kind !== 'proration' && line.amountCents < 0) {
    p.push(`${at}.amountCents: only proration lines may be negative on an invoice`);
  }
  return p;
}

function paymentProblems(payment: InvoicePayment, at: string, mode: InvoiceOrg['mode']): string[] {
  const p: string[] = [];
  if (!oneOf(PAYMENT_KINDS, payment.kind)) p.push(`${at}.kind: must be one of ${PAYMENT_KINDS.join(', ')}`);
  if (payment.method !== undefined && !oneOf(TOP_UP_METHODS, payment.method)) {
    p.push(`${at}.method: must be one of ${TOP_UP_METHODS.join(', ')}`);
  }
  if (!isTime(payment.at)) p.push(`${at}.at: must be an ISO 8601 time`);
  if (!Number.isSafeInteger(payment.amountCents) || payment.amountCents <= 0) {
    p.push(`${at}.amountCents: must be a positive safe integer (the kind says which way it went)`);
  }
  if (mode === 'byo' && payment.kind !== 'collection') p.push(`${at}.kind: a BYO org has no wallet`);
  return p;
}

/**
 * `preview`: the document is the open period's preview (upcomingInvoice, ./queries.ts), numbered
 * PREVIEW_NUMBER rather than from the sequence, and always an invoice. Only this option lets that number
 * through, and with it only that number passes: a preview never passes for an issued invoice, nor an
 * issued invoice for a preview. Every other rule holds for both.
 */
export interface InvoiceCheckOptions {
  readonly preview?: boolean;
}

/** Every invariant the document breaks; empty when it is sound. */
export function invoiceProblems(invoice: Invoice, opts: InvoiceCheckOptions = {}): string[] {
  const p: string[] = [];
  if (opts.preview) {
    if (invoice.number !== PREVIEW_NUMBER) p.push(`number: a preview is numbered ${PREVIEW_NUMBER}`);
    if (invoice.kind === 'credit_note') p.push('kind: a preview is an invoice, never a credit note');
  } else if (!INVOICE_NUMBER_PATTERN.test(invoice.number)) {
    p.push('number: must look like LB-2026-000042');
  }
  if (!oneOf(DOCUMENT_KINDS, invoice.kind)) p.push(`kind: must be one of ${DOCUMENT_KINDS.join(', ')}`);
  if (invoice.kind === 'credit_note') {
    if (invoice.correctsNumber === undefined || !INVOICE_NUMBER_PATTERN.test(invoice.correctsNumber)) {
      p.push('correctsNumber: a credit note names the invoice it corrects');
    } else if (invoice.correctsNumber === invoice.number) {
      p.push('correctsNumber: a credit note has a number of its own');
    }
    // Money a correction moves is recorded on the next invoice's payments, and it never owes anything.
    if (invoice.payments.length > 0) p.push('payments: a credit note records no payments');
    if (invoice.totals?.owedCents !== 0) p.push('totals.owedCents: a credit note owes nothing (0)');
  } else if (invoice.correctsNumber !== undefined) {
    p.push('correctsNumber: only credit notes correct an invoice');
  }
  if (invoice.memo !== undefined && !isText(invoice.memo)) p.push('memo: must not be blank when given');
  const { org } = invoice;
  if (!isText(org?.id)) p.push('org.id: required');
  if (!isText(org?.name)) p.push('org.name: required');
  if (!oneOf(BILLING_MODES, org?.mode)) p.push(`org.mode: must be one of ${BILLING_MODES.join(', ')}`);
  if (org?.billingTimeZone !== undefined && !isTimeZone(org.billingTimeZone)) {
    p.push('org.billingTimeZone: unknown time zone');
  }
  if (!isTime(invoice.periodStart)) p.push('periodStart: must be an ISO 8601 time');
  if (!isTime(invoice.periodEnd)) p.push('periodEnd: must be an ISO 8601 time');
  if (isTime(invoice.periodStart) && isTime(invoice.periodEnd)) {
    if (Date.parse(invoice.periodStart) >= Date.parse(invoice.periodEnd)) {
      p.push('periodEnd: must be after periodStart');
    }
  }
  if (!isTime(invoice.issuedAt)) p.push('issuedAt: must be an ISO 8601 time');
  else if (isTime(invoice.periodStart) && Date.parse(invoice.issuedAt) < Date.parse(invoice.periodStart)) {
    p.push('issuedAt: a document is never issued before its period starts');
  }
  if (invoice.currency !== 'usd') p.push('currency: only usd');

  invoice.lines.forEach((line, i) => p.push(...lineProblems(line, `lines[${i}]`, invoice.kind, org?.mode)));
  const seen = new Set<string>();
  invoice.lines.forEach((line, i) => {
    if (!oneOf(INVOICE_LINE_KINDS, line.kind) || !PER_PROJECT.has(groupOf(line.kind))) return;
    const key = `${line.kind}|${line.projectId}|${line.platform ?? ''}`;
    if (seen.has(key)) {
      p.push(`lines[${i}]: one ${line.kind} line per project${line.platform ? ' and platform' : ''}`);
    }
    seen.add(key);
  });
  if (p.length === 0 && !isGrouped(invoice.lines)) {
    p.push('lines: must be grouped for display (orderLines)');
  }
  invoice.payments.forEach((pay, i) => p.push(...paymentProblems(pay, `payments[${i}]`, org?.mode)));
  if (
    invoice.payments.some((pay, i) => i > 0 && Date.parse(pay.at) < Date.parse(invoice.payments[i - 1]!.at))
  ) {
    p.push('payments: must be in order of time');
  }
  if (p.length > 0) return p;

  const { totals } = invoice;
  if (!Number.isSafeInteger(totals.owedCents) || totals.owedCents < 0) {
    p.push('totals.owedCents: must be a non-negative integer');
  }
  if (org.mode === 'byo' && totals.owedCents !== 0) {
    p.push('totals.owedCents: a BYO org has no wallet to owe');
  }
  let expected;
  try {
    expected = totalsOf(invoice.lines, invoice.payments, { walletBalanceEndCents: 0 - totals.owedCents });
  } catch (err) {
    return [...p, (err as Error).message];
  }
  for (const field of ['totalCents', 'chargedCents', 'paidFromWalletCents', 'collectedCents'] as const) {
    if (totals[field] !== expected[field]) p.push(`totals.${field}: ${totals[field]} ≠ ${expected[field]}`);
  }
  if (invoice.kind === 'credit_note' && totals.totalCents > 0) {
    p.push('totals.totalCents: a credit note gives money back (≤ 0)');
  }
  return p;
}

export function assertInvoice(invoice: Invoice, opts: InvoiceCheckOptions = {}): Invoice {
  const problems = invoiceProblems(invoice, opts);
  if (problems.length > 0) throw new InvalidInvoiceError(problems);
  return invoice;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export interface InvoiceInput extends TotalsContext {
  number: string;
  kind: Invoice['kind'];
  correctsNumber?: string;
  memo?: string;
  org: InvoiceOrg;
  periodStart: string;
  periodEnd: string;
  issuedAt: string;
  lines: readonly InvoiceLineInput[];
  payments: readonly InvoicePayment[];
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * The issued document: lines put in display order with who pays each, payments in order of time,
 * totals computed (./totals.ts), every invariant checked, and the whole frozen — an issued invoice is
 * never edited (a correction is a credit note). Throws InvalidInvoiceError listing every problem.
 * `{ preview: true }` builds the open period's preview instead (InvoiceCheckOptions).
 */
export function issueInvoice(input: InvoiceInput, opts: InvoiceCheckOptions = {}): Invoice {
  const unknown = input.lines.flatMap((l, i) =>
    oneOf(INVOICE_LINE_KINDS, l.kind) ? [] : [`lines[${i}].kind: unknown line kind ${String(l.kind)}`],
  );
  if (unknown.length > 0) throw new InvalidInvoiceError(unknown);
  const lines = orderLines(input.lines.map((l) => defined({ ...l, paidBy: PAID_BY[l.kind] })));
  const payments = input.payments
    .map((pay, i) => ({ pay: defined({ ...pay }), i }))
    .sort((a, b) => Date.parse(a.pay.at) - Date.parse(b.pay.at) || a.i - b.i)
    .map(({ pay }) => pay);
  let totals: InvoiceTotals;
  let sumError: string | undefined;
  try {
    totals = totalsOf(lines, payments, { walletBalanceEndCents: input.walletBalanceEndCents });
  } catch (err) {
    // A sum out of range: name the lines that caused it if they break a rule of their own.
    sumError = (err as Error).message;
    totals = { totalCents: 0, chargedCents: 0, paidFromWalletCents: 0, owedCents: 0, collectedCents: 0 };
  }
  const invoice: Invoice = defined({
    number: input.number,
    kind: input.kind,
    correctsNumber: input.correctsNumber,
    memo: input.memo,
    org: defined({ ...input.org }),
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    issuedAt: input.issuedAt,
    currency: 'usd',
    lines,
    payments,
    totals,
  });
  if (sumError !== undefined) {
    const own = invoiceProblems(invoice, opts).filter((problem) => !problem.startsWith('totals.'));
    throw new InvalidInvoiceError(own.length > 0 ? own : [sumError]);
  }
  return deepFreeze(assertInvoice(invoice, opts));
}
