import { Type, type Static, type TSchema } from 'typebox';
import {
  DOCUMENT_KINDS,
  INVOICE_LINE_KINDS,
  INVOICE_NUMBER_PATTERN,
  PAID_BY_VALUES,
  PAYMENT_KINDS,
  PREVIEW_NUMBER,
  type Invoice,
} from '../../invoices/document';
import { COLLECTION_STATUSES, type InvoiceSummary } from '../../invoices/queries';
import { BILLING_MODES } from '../../orgs/statuses';
import { AD_PLATFORMS, TOP_UP_METHODS } from '../../wallet/statuses';
import { closed, cursorPage, dateTime, int, ledgerPageQuery, oneOf, type Assignable } from '../schemas';

/** The schemas of /v1/invoices (src/api/routes/invoices.ts). */

// ---- requests ----

/** `LB-2026-000042`: one of the sequence's numbers (src/invoices/document.ts), as the path spells it. */
const invoiceNumber = () => Type.String({ pattern: INVOICE_NUMBER_PATTERN.source });

export const invoiceNumberParams = closed({ number: invoiceNumber() });

/**
 * A page of the org's invoices, newest first: the same limits as the ledger statements, and the cursor
 * is likewise a position, the sequence of the previous page's last invoice.
 */
export const invoicePageQuery = closed({ ...ledgerPageQuery });

// ---- responses ----

const signedCents = () => Type.Integer();

const lineSchema = closed({
  kind: oneOf(INVOICE_LINE_KINDS),
  description: Type.String(),
  projectId: Type.Optional(Type.String()),
  projectName: Type.Optional(Type.String()),
  platform: Type.Optional(oneOf(AD_PLATFORMS)),
  metric: Type.Optional(Type.String()),
  quantity: int(),
  unitCents: Type.Optional(signedCents()),
  amountCents: signedCents(),
  paidBy: oneOf(PAID_BY_VALUES),
});

const paymentSchema = closed({
  kind: oneOf(PAYMENT_KINDS),
  method: Type.Optional(oneOf(TOP_UP_METHODS)),
  reference: Type.Optional(Type.String()),
  at: dateTime(),
  amountCents: int(1),
});

const totalsSchema = closed({
  totalCents: signedCents(),
  chargedCents: signedCents(),
  paidFromWalletCents: signedCents(),
  owedCents: int(),
  collectedCents: int(),
});

/**
 * The invoice document exactly as src/invoices/json.ts renders it, its properties in the same order (the
 * serializer writes them in this order). `number` is the issued invoice's, or the preview's.
 */
const documentSchema = <N extends TSchema>(number: N) =>
  closed({
    number,
    kind: oneOf(DOCUMENT_KINDS),
    correctsNumber: Type.Optional(invoiceNumber()),
    memo: Type.Optional(Type.String()),
    org: closed({
      id: Type.String(),
      name: Type.String(),
      mode: oneOf(BILLING_MODES),
      billingTimeZone: Type.Optional(Type.String()),
    }),
    periodStart: dateTime(),
    periodEnd: dateTime(),
    issuedAt: dateTime(),
    currency: oneOf(['usd']),
    lines: Type.Array(lineSchema),
    payments: Type.Array(paymentSchema),
    totals: totalsSchema,
  });

const invoiceSchema = documentSchema(invoiceNumber());
const previewSchema = documentSchema(Type.Literal(PREVIEW_NUMBER));

const collectionSchema = oneOf(COLLECTION_STATUSES);

/** GET /v1/invoices/{number}: the document, and where the collection of what it charges stands. */
export const issuedInvoiceSchema = closed({
  invoice: invoiceSchema,
  dueCents: int(),
  collection: collectionSchema,
});

/** GET /v1/invoices/upcoming: the same for the open period so far, numbered `upcoming`. */
export const upcomingInvoiceSchema = closed({
  invoice: previewSchema,
  dueCents: int(),
  collection: collectionSchema,
});

const summarySchema = closed({
  number: invoiceNumber(),
  kind: oneOf(DOCUMENT_KINDS),
  periodStart: dateTime(),
  periodEnd: dateTime(),
  issuedAt: dateTime(),
  totalCents: signedCents(),
  dueCents: int(),
  collection: collectionSchema,
});

export const invoicePageSchema = cursorPage(summarySchema);

/**
 * `attachment; filename="LB-2026-000042.pdf"`: the download's name is the invoice's number, which the
 * route has already held to its pattern, so it needs no quoting rules beyond the quotes.
 */
export const attachmentHeader = (extension: 'pdf' | 'csv') =>
  Type.String({
    pattern: `^attachment; filename="${INVOICE_NUMBER_PATTERN.source.slice(1, -1)}\\.${extension}"$`,
  });

// Each response is serialized through its closed schema, which would drop a field the document gains
// without a word: tsc holds the two together, both ways (the document's arrays are readonly, the
// schema's types are not, hence Plain), and an optional field, which assignability alone lets either
// side lack, by the names of the fields.
type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Plain<T[K]> }
    : T;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Holds<T extends true> = T;
type Line = Invoice['lines'][number];
type Payment = Invoice['payments'][number];
type _InvoiceSchemaFitsDocument = Assignable<Static<typeof invoiceSchema>, Invoice>;
type _DocumentFitsInvoiceSchema = Assignable<Plain<Invoice>, Static<typeof invoiceSchema>>;
type _InvoiceFields = Holds<SameKeys<Static<typeof invoiceSchema>, Invoice>>;
type _OrgFields = Holds<SameKeys<Static<typeof invoiceSchema>['org'], Invoice['org']>>;
type _LineFields = Holds<SameKeys<Static<typeof lineSchema>, Line>>;
type _PaymentFields = Holds<SameKeys<Static<typeof paymentSchema>, Payment>>;
type _TotalsFields = Holds<SameKeys<Static<typeof totalsSchema>, Invoice['totals']>>;
type _SummarySchemaFitsDomain = Assignable<Static<typeof summarySchema>, InvoiceSummary>;
type _SummaryDomainFitsSchema = Assignable<InvoiceSummary, Static<typeof summarySchema>>;
