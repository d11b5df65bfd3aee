import { DomainError } from '../errors';

/**
 * The caller's deadline for starting a generation. The API waits for the engine only so long; the
 * workflow carries the same budget and reserves nothing once it has passed, so no credits are ever held
 * for a caller who gave up. Pure: the workflow and the client both use it.
 */
export const DEFAULT_ENGINE_TIMEOUT_MS = 10_000;

/**
 * The workflow may reserve only this long after its start: a little less than the caller waits, so a
 * reservation made at the last moment still reaches the caller instead of being held for nobody. A
 * reservation the caller did not hear about anyway is found again by its retry (same Idempotency-Key,
 * same generation id).
 */
export function reservationWindowMs(engineTimeoutMs: number): number {
  return engineTimeoutMs - Math.min(1000, Math.floor(engineTimeoutMs / 5));
}

/**
 * The generation was never reached before its caller's deadline and reserved nothing; its id is spent.
 * The same error the workflow answers a late reserve update with (workflows/generations.ts).
 */
export function deadlinePassed(generationId: string): DomainError {
  return new DomainError(
    'ENGINE_UNAVAILABLE',
    `generation ${generationId} was not reached before its caller's deadline; nothing was reserved`,
    { reason: 'deadline_passed', generationId },
  );
}

/** True for a start refused because its generation id can never reserve (see deadlinePassed). */
export const isDeadlinePassed = (err: unknown): boolean =>
  err instanceof DomainError &&
  err.code === 'ENGINE_UNAVAILABLE' &&
  err.details?.reason === 'deadline_passed';
