import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { DomainError } from '../errors';

/** How long a caller is told to wait before retrying a request the engine did not answer in time. */
export const ENGINE_RETRY_AFTER_SECONDS = 2;

/**
 * Temporal did not answer in time, or cannot be reached: no worker picked the task up before the
 * caller's deadline, or the frontend is down. Retryable by the caller (same Idempotency-Key), never a 500.
 */
export function engineUnavailable(err: unknown): DomainError | undefined {
  const timedOut = err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err);
  if (!timedOut && !isUnreachable(err)) return undefined;
  return new DomainError(
    'ENGINE_UNAVAILABLE',
    timedOut
      ? 'the billing engine did not answer in time; retry with the same Idempotency-Key'
      : 'the billing engine cannot be reached; retry with the same Idempotency-Key',
    { reason: timedOut ? 'timeout' : 'unreachable', retryAfterSeconds: ENGINE_RETRY_AFTER_SECONDS },
  );
}

/** gRPC's status code UNAVAILABLE (the frontend is down or unreachable). */
const GRPC_UNAVAILABLE = 14;

function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && e.code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}
