/**
 * The small set of domain errors. Each has a stable string code that clients can branch on; the HTTP
 * status and the Temporal failure type are derived from the code in exactly one place each.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNKNOWN_FORMAT: 400,
  /** The body is not parseable JSON (or is empty while declared JSON): nothing to validate field by field. */
  MALFORMED_JSON: 400,
  /** A Stripe webhook whose signature is missing, forged or stale: nothing in it is applied. */
  INVALID_SIGNATURE: 400,
  UNAUTHENTICATED: 401,
  BILLING_EXHAUSTED: 402,
  PAYMENT_DECLINED: 402,
  NOT_FOUND: 404,
  /** The path exists but not for this method; the `Allow` header lists the methods it has. */
  METHOD_NOT_ALLOWED: 405,
  /** The client did not send a complete request in time. */
  REQUEST_TIMEOUT: 408,
  IDEMPOTENCY_KEY_REUSED: 409,
  GENERATION_ALREADY_ENDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The request's headers exceed the server's limit (Node's 16 KB by default). */
  HEADERS_TOO_LARGE: 431,
  /** A completion whose actual cost is above the format's ceiling: the hold stays for a valid ending. */
  ACTUAL_COST_IMPLAUSIBLE: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  KILL_SWITCH: 503,
  NOT_READY: 503,
  /** PostgreSQL cannot be reached (restart, failover): retry after Retry-After; nothing was half-written. */
  DATABASE_UNAVAILABLE: 503,
  /** Temporal or the workers did not answer in time: retry with the same Idempotency-Key. */
  ENGINE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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
    return ERROR_STATUS[this.code];
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
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
