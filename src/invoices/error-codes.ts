import type { ErrorSpec } from '../errors';

/** The codes invoices refuse with, spread into src/errors.ts's ERRORS table (data only, like the wallet's). */
export const INVOICE_ERRORS = {
  /** No invoice of that number for this org: another org's invoice is not found either, never forbidden. */
  INVOICE_NOT_FOUND: { status: 404, retryable: false },
} as const satisfies Record<string, ErrorSpec>;
