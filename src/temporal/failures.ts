import { ApplicationFailure } from '@temporalio/common';
import { isRefusedInput } from '../db/refusal';
import { DomainError, ERROR_CODES, errorSpec, isErrorCode, type ErrorCode } from '../errors';

/**
 * Domain errors cross Temporal as non-retryable ApplicationFailures whose `type` is the stable code, so
 * a retry never repeats a refusal and the client can rebuild the same DomainError on the other side.
 * Safe to import from workflows: no I/O here.
 */
export function toApplicationFailure(err: DomainError): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    details: err.details ? [err.details] : [],
    nonRetryable: true,
  });
}

/**
 * Runs fn, turning a DomainError it throws into its ApplicationFailure. Input the database refuses for
 * its content is bad input too (VALIDATION_FAILED, never retried): retrying it forever would keep
 * whatever depends on it, such as a credit hold, from ever ending. Every other error stays retryable.
 */
export async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw toApplicationFailure(err);
    if (isRefusedInput(err)) {
      const refusal = new DomainError('VALIDATION_FAILED', `the ledger refused this input: ${err.message}`, {
        sqlstate: err.code,
      });
      throw toApplicationFailure(refusal);
    }
    throw err;
  }
}

/** Finds the DomainError carried anywhere in a Temporal failure's cause chain. */
export function domainErrorFrom(err: unknown): DomainError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof DomainError) return e;
    if (e instanceof ApplicationFailure && isErrorCode(e.type)) {
      const details = e.details?.[0];
      return new DomainError(e.type as ErrorCode, e.message, isRecord(details) ? details : undefined);
    }
  }
  return undefined;
}

/**
 * Codes the workflows' retry policies must never retry: every code src/errors.ts does not call
 * retryable. (asActivity already marks each DomainError non-retryable; this holds the line for a
 * failure of such a type that reaches the policy some other way.)
 */
export const NON_RETRYABLE_CODES: ErrorCode[] = ERROR_CODES.filter((code) => !errorSpec(code).retryable);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
