import type { BillingMode } from '../orgs/statuses';
import type { PlatformName, TopUpMethod } from '../wallet/statuses';

/**
 * The invoice as a document: plain data, no database, no clock. The lead's invoice builder fills it from
 * the ledgers; ./json.ts, ./csv.ts and ./pdf.ts render it; ./checks.ts holds its invariants. The JSON
 * rendering is this shape exactly, and it is a superset of the simulator's `invoices[]` (issue 11):
 * `number`, `periodStart`, `periodEnd`, `lines[]` (`kind`, `projectId?`, `platform?`, `quantity`,
 * `unitCents?`, `amountCents`), `payments[]` and `totals` (`totalCents`, `chargedCents`,
 * `paidFromWalletCents`, `owedCents`).
 *
 * Money is integer cents (USD); every amount and every sum is a safe integer (./checks.ts refuses
 * others). Times are ISO 8601 strings. An issued document is never edited: a correction is a credit note
 * (`kind: 'credit_note'`) that names the invoice it corrects.
 */

/**
 * One gap-free sequence for invoices and credit notes alike: `LB-<year>-<6+ digits>`. Spelled with
 * `[0-9]`, not `\d`: the API publishes this pattern, and in Python's regular expressions (the contract
 * test's schemathesis) `\d` is any Unicode digit, so `LB-٢٠٢٦-…` would pass there and not here.
 */
export const INVOICE_NUMBER_PATTERN = /^LB-[0-9]{4}-[0-9]{6,}$/;

/**
 * The number of the open period's preview (GET /v1/invoices/upcoming): not a number of the sequence, and
 * accepted only where a caller asks for a preview explicitly (`{ preview: true }`, ./checks.ts), so that
 * no stored or rendered invoice can carry it.
 */
export const PREVIEW_NUMBER = 'upcoming';

/** `LB-2026-000042`: the number is the lead's (one sequence, without gaps); this is only its spelling. */
export function invoiceNumber(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError('year: must be 4 digits');
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError('sequence: must be at least 1');
  return `LB-${year}-${String(sequence).padStart(6, '0')}`;
}

export const DOCUMENT_KINDS = ['invoice', 'credit_note'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/**
 * The kinds of line, in the order they are shown within their group (./lines.ts). Credit kinds follow the
 * order credits are consumed in (rolled-over, included, prepaid; then what none of them covered).
 */
export const INVOICE_LINE_KINDS = [
  // the plan: the period's subscription charge, and the upgrade / downgrade lines of a change
  'subscription',
  'proration',
  // credits consumed, per project
  'credits_rolled_over',
  'credits_included',
  'credits_prepaid',
  'credits_overage',
  // credit packs bought in the period
  'credit_pack',
  // wallet debits, per project and platform: the platform's bill and Layers' fee on it
  'ad_spend',
  'platform_fee',
  // usage over the plan's allowance, per metric (workflow runs, SDK events, media storage…)
  'usage_overage',
] as const;
export type InvoiceLineKind = (typeof INVOICE_LINE_KINDS)[number];

/**
 * Who pays a line, which follows from its kind (PAID_BY): `stripe`, the card on file (a negative amount is
 * a refund to it); `wallet`, the agency wallet (negative: credited back to it); `none`, nothing on this
 * invoice: credits the plan includes or the org paid for earlier (a pack on an earlier invoice), shown
 * with their quantity and an amount of 0.
 */
export const PAID_BY_VALUES = ['stripe', 'wallet', 'none'] as const;
export type PaidBy = (typeof PAID_BY_VALUES)[number];

export const PAID_BY: Readonly<Record<InvoiceLineKind, PaidBy>> = {
  subscription: 'stripe',
  proration: 'stripe',
  credits_rolled_over: 'none',
  credits_included: 'none',
  credits_prepaid: 'none',
  credits_overage: 'stripe',
  credit_pack: 'stripe',
  ad_spend: 'wallet',
  platform_fee: 'wallet',
  usage_overage: 'stripe',
};

/**
 * One line. `quantity` is a non-negative integer: credits on credit lines, units of the metric on usage
 * lines, packs on pack lines, 1 on subscription, proration and wallet lines. Where `unitCents` is given,
 * `quantity × unitCents = amountCents` exactly (overage, usage and packs are priced per unit in whole
 * cents); wallet lines have none: their amount is the sum of the period's platform bills (ad_spend) or of
 * the fees on them (platform_fee), each fee rounded per bill (src/wallet/fees.ts), so no unit price would
 * multiply out. The PDF shows one project's spend and fee on one platform side by side in one row; here,
 * as in the CSV, they stay two lines so that every amount is one line and the totals are plain sums.
 */
export interface InvoiceLine {
  readonly kind: InvoiceLineKind;
  readonly description: string;
  /** Credit and wallet lines: the project they belong to. */
  readonly projectId?: string;
  /** A readable name for projectId, shown beside it where given. */
  readonly projectName?: string;
  /** Wallet lines: the ad platform that billed. */
  readonly platform?: PlatformName;
  /** Usage lines: what was measured (`workflow_runs`, `sdk_events`, …). */
  readonly metric?: string;
  readonly quantity: number;
  readonly unitCents?: number;
  /** Negative for money going back: the unused time of a plan change, and every line of a credit note. */
  readonly amountCents: number;
  readonly paidBy: PaidBy;
}

/** A line before it is issued: who pays it follows from its kind. */
export type InvoiceLineInput = Omit<InvoiceLine, 'paidBy'>;

/**
 * Money that moved in the period without being a charge: wallet top-ups and withdrawals (agency orgs),
 * and collections, what Stripe collected for this invoice's card-paid lines. Amounts are always positive;
 * the kind says which way the money went.
 */
export const PAYMENT_KINDS = ['top_up', 'withdrawal', 'collection'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

export interface InvoicePayment {
  readonly kind: PaymentKind;
  readonly method?: TopUpMethod;
  /** The business key or Stripe id that finds the movement again (a top-up id, `pi_…`, `re_…`). */
  readonly reference?: string;
  readonly at: string;
  readonly amountCents: number;
}

export interface InvoiceOrg {
  readonly id: string;
  readonly name: string;
  readonly mode: BillingMode;
  /** IANA zone the PDF shows dates in (the wallet's local days); UTC when absent. */
  readonly billingTimeZone?: string;
}

/**
 * - `totalCents`: the sum of every line.
 * - `chargedCents`: the lines paid through Stripe (`paidBy: 'stripe'`).
 * - `paidFromWalletCents`: the lines paid from the wallet.
 * - `owedCents`: what the wallet could not cover: the negative part of its settled balance at the end of
 *   the period (0 when it ended at or above zero, and always for BYO orgs). It is already inside
 *   paidFromWalletCents — not an extra charge, the part of it still to be paid.
 * - `collectedCents`: the sum of the `collection` payments, what Stripe already collected.
 * So totalCents = chargedCents + paidFromWalletCents, since `none` lines are 0 (./checks.ts).
 */
export interface InvoiceTotals {
  readonly totalCents: number;
  readonly chargedCents: number;
  readonly paidFromWalletCents: number;
  readonly owedCents: number;
  readonly collectedCents: number;
}

export interface Invoice {
  readonly number: string;
  readonly kind: DocumentKind;
  /** Credit notes only: the number of the invoice this one corrects. */
  readonly correctsNumber?: string;
  /** A note printed under the header: on a credit note, why the invoice is corrected. */
  readonly memo?: string;
  readonly org: InvoiceOrg;
  /** The billing period, [periodStart, periodEnd). A credit note carries its invoice's period. */
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly issuedAt: string;
  readonly currency: 'usd';
  readonly lines: readonly InvoiceLine[];
  readonly payments: readonly InvoicePayment[];
  readonly totals: InvoiceTotals;
}

/** Display name of the seller on every document (seeds 000/001: "Layers"). */
export const SELLER_NAME = 'Layers';
