import type { ErrorSpec } from '../errors';

/**
 * The codes usage recording refuses with, spread into src/errors.ts's ERRORS table. Data only, importing
 * nothing at run time, so errors.ts can import it without a cycle and workflows can import both.
 */
export const USAGE_ERRORS = {
  /** An event names a metric that is not metered (src/invoices/usage-metrics.ts USAGE_METRICS). */
  UNKNOWN_METRIC: { status: 400, retryable: false },
  /**
   * An event's occurredAt is further in the future than clock skew explains, or older than usage is
   * accepted for (src/invoices/usage-rules.ts usageWindow): the whole batch is refused.
   */
  OCCURRED_AT_OUT_OF_RANGE: { status: 400, retryable: false },
} as const satisfies Record<string, ErrorSpec>;

export type UsageErrorCode = keyof typeof USAGE_ERRORS;
