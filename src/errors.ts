import { BILLING_ERRORS } from './billing/error-codes';
import { INVOICE_ERRORS } from './invoices/error-codes';
import { WALLET_ERRORS } from './wallet/error-codes';

/** What a code means to whoever receives it: over HTTP, and to a Temporal retry policy. */
export interface ErrorSpec {
  status: number;
  /**
   * Whether the same request could succeed later (a dependency or the server comes back, a limit
   * resets). A code that is not retryable is never retried by a workflow's retry policy either.
   */
  retryable: boolean;
  /** The answer may say when to come back: a `Retry-After` header from `details.retryAfterSeconds`. */
  retryAfter?: boolean;
}

/**
 * The small set of domain errors, in one table. Each has a stable string code that clients can branch
 * on; its HTTP status, whether it is worth retrying, and the workflows' non-retryable error types
 * (src/temporal/failures.ts) are all read from here. Pure data: workflows import this module.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, retryable: false },
  UNKNOWN_FORMAT: { status: 400, retryable: false },
  /** The body is not parseable JSON (or is empty while declared JSON): nothing to validate field by field. */
  MALFORMED_JSON: { status: 400, retryable: false },
  /** A Stripe webhook whose signature is missing, forged or stale: nothing in it is applied. */
  INVALID_SIGNATURE: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  BILLING_EXHAUSTED: { status: 402, retryable: false },
  /** The key is valid but lacks the scope the route requires (src/auth/scopes.ts), e.g. wallet:spend. */
  SCOPE_REQUIRED: { status: 403, retryable: false },
  /**
   * A dashboard session's change (any method but GET and HEAD) without its session's `x-csrf-token`
   * header, or with another: refused before the body is read, so nothing is written.
   */
  CSRF_TOKEN_INVALID: { status: 403, retryable: false },
  PAYMENT_DECLINED: { status: 402, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  /** The path exists but not for this method; the `Allow` header lists the methods it has. */
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  /** The client did not send a complete request in time. */
  REQUEST_TIMEOUT: { status: 408, retryable: true },
  IDEMPOTENCY_KEY_REUSED: { status: 409, retryable: false },
  GENERATION_ALREADY_ENDED: { status: 409, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  /** The request's headers exceed the server's limit (Node's 16 KB by default). */
  HEADERS_TOO_LARGE: { status: 431, retryable: false },
  /** A completion whose actual cost is above the format's ceiling: the hold stays for a valid ending. */
  ACTUAL_COST_IMPLAUSIBLE: { status: 422, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true, retryAfter: true },
  INTERNAL_ERROR: { status: 500, retryable: false },
  KILL_SWITCH: { status: 503, retryable: true, retryAfter: true },
  NOT_READY: { status: 503, retryable: true, retryAfter: true },
  /** PostgreSQL cannot be reached (restart, failover): retry after Retry-After; nothing was half-written. */
  DATABASE_UNAVAILABLE: { status: 503, retryable: true, retryAfter: true },
  /** Temporal or the workers did not answer in time: retry with the same Idempotency-Key. */
  ENGINE_UNAVAILABLE: { status: 503, retryable: true, retryAfter: true },
  /** Subscriptions (src/billing/error-codes.ts): plan limits, inactive and conflicting states. */
  ...BILLING_ERRORS,
  /** The agency wallet (src/wallet/error-codes.ts): BYO orgs, unknown platforms, overdrawn withdrawals. */
  ...WALLET_ERRORS,
  /** Invoices and metered usage (src/invoices/error-codes.ts): unknown invoices and metrics, late events. */
  ...INVOICE_ERRORS,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export const errorSpec = (code: ErrorCode): ErrorSpec => ERRORS[code];

/** Code -> HTTP status, for callers that only need the status. */
export const ERROR_STATUS = Object.fromEntries(ERROR_CODES.map((code) => [code, ERRORS[code].status])) as {
  readonly [C in ErrorCode]: (typeof ERRORS)[C]['status'];
};

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return ERRORS[this.code].status;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

/** A DomainError as workflow state and results carry it through Temporal: plain data. */
export interface DomainErrorData {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export const toErrorData = (err: DomainError): DomainErrorData => ({
  code: err.code,
  message: err.message,
  details: err.details,
});

/** The DomainError again; a code this build does not know is our fault (INTERNAL_ERROR), not the caller's. */
export function fromErrorData(data: DomainErrorData): DomainError {
  return new DomainError(isErrorCode(data.code) ? data.code : 'INTERNAL_ERROR', data.message, data.details);
}

export const notFound = (resource: string, id: string): DomainError =>
  new DomainError('NOT_FOUND', `${resource} ${id} not found`, { resource, id });

export const invalid = (field: string, message: string): DomainError =>
  new DomainError('VALIDATION_FAILED', `${field}: ${message}`, { field });
