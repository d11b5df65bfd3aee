import type { ErrorSpec } from '../errors';

/**
 * The codes the invoices domain (usage included) refuses with, spread into src/errors.ts's ERRORS table.
 * Data only, importing nothing at run time, so errors.ts can import it without a cycle and workflows can
 * import both.
 */
export const INVOICE_ERRORS = {
  /** A usage event names a metric that is not metered (src/invoices/usage-metrics.ts USAGE_METRICS). */
  UNKNOWN_METRIC: { status: 400, retryable: false },
  /**
   * A usage event's occurredAt is further in the future than clock skew explains, or older than usage is
   * accepted for (src/invoices/usage-rules.ts usageWindow): the whole batch is refused.
   */
  OCCURRED_AT_OUT_OF_RANGE: { status: 400, retryable: false },
  /** No invoice of that number for this org: another org's invoice is not found either, never forbidden. */
  INVOICE_NOT_FOUND: { status: 404, retryable: false },
} as const satisfies Record<string, ErrorSpec>;
