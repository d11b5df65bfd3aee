import type { Static } from 'typebox';
import type { auditExportQuery } from '../../../src/api/routes/audit.schemas';
import type {
  changeBody,
  changeResultSchema,
  creditAlertSchema,
  previewSchema,
  subscriptionSchema,
} from '../../../src/api/routes/billing.schemas';
import type { creditPackCatalogSchema, creditPackPurchaseSchema } from '../../../src/api/routes/credit-packs';
import type {
  creditUsageSchema,
  historyPageSchema,
  historyQuery,
} from '../../../src/api/routes/credits.schemas';
import type {
  invoicePageSchema,
  issuedInvoiceSchema,
  upcomingInvoiceSchema,
} from '../../../src/api/routes/invoices.schemas';
import type { projectListSchema } from '../../../src/api/routes/projects.schemas';
import type {
  autoTopUpBody,
  spendSummarySchema,
  topUpResultSchema,
  transactionsPageSchema,
  transactionsQuery,
  walletSchema,
  withdrawalSchema,
} from '../../../src/api/routes/wallet.schemas';
import type { creditsSnapshotSchema, errorSchema } from '../../../src/api/schemas';

/**
 * The API's shapes, taken from the very schemas the routes validate and serialize with (type imports
 * only: nothing of the server reaches the bundle). A field renamed on the server fails `npm run
 * typecheck` here instead of showing a blank on a page.
 */

export type ApiErrorBody = Static<typeof errorSchema>;

export type Credits = Static<typeof creditsSnapshotSchema>;
export type CreditHistoryPage = Static<typeof historyPageSchema>;
export type CreditEntry = CreditHistoryPage['data'][number];
export type CreditHistoryQuery = Static<typeof historyQuery>;
export type CreditAlert = Static<typeof creditAlertSchema>;
export type CreditPackPurchase = Static<typeof creditPackPurchaseSchema>;
export type CreditPackCatalog = Static<typeof creditPackCatalogSchema>;
export type CreditPackOffer = CreditPackCatalog['data'][number];

export type ProjectList = Static<typeof projectListSchema>;

export type Subscription = Static<typeof subscriptionSchema>;
export type PlanChangeBody = Static<typeof changeBody>;
export type PlanPreview = Static<typeof previewSchema>;
export type ChangeResult = Static<typeof changeResultSchema>;

export type InvoicePage = Static<typeof invoicePageSchema>;
export type InvoiceSummary = InvoicePage['data'][number];
export type IssuedInvoice = Static<typeof issuedInvoiceSchema>;
export type UpcomingInvoice = Static<typeof upcomingInvoiceSchema>;
export type InvoiceDocument = IssuedInvoice['invoice'] | UpcomingInvoice['invoice'];
export type InvoiceLine = InvoiceDocument['lines'][number];

export type Wallet = Static<typeof walletSchema>;
export type WalletPage = Static<typeof transactionsPageSchema>;
export type WalletEntry = WalletPage['data'][number];
export type WalletTransactionsQuery = Static<typeof transactionsQuery>;
export type AutoTopUpSettings = Static<typeof autoTopUpBody>;
export type TopUpResult = Static<typeof topUpResultSchema>;
export type Withdrawal = Static<typeof withdrawalSchema>;

export type AuditExportQuery = Static<typeof auditExportQuery>;

export type CreditUsage = Static<typeof creditUsageSchema>;
export type WalletSpend = Static<typeof spendSummarySchema>;
