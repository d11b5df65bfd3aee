import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { requireNonEmpty } from '../credits/amounts';
import { requireFormat } from '../credits/formats';
import type { CaptureResult, ReleaseResult, ReserveInput, ReserveResult } from '../credits/ledger';
import { DomainError, fromErrorData, notFound } from '../errors';
import { domainErrorFrom } from '../temporal/failures';
import { engineUnavailable } from '../temporal/outage';
import type { generationLifecycle } from '../../workflows/generations';
import {
  completeUpdate,
  failUpdate,
  neverReserved,
  reserveUpdate,
  stateQuery,
  type CompleteRequest,
  type GenerationState,
} from '../../workflows/generations.messages';
import { DEFAULT_ENGINE_TIMEOUT_MS, deadlinePassed, reservationWindowMs } from './deadline';
import { generationWorkflowId } from './ids';

export interface GenerationClientOptions {
  taskQueue: string;
  holdTimeoutMs: number;
  /** How long a caller waits for the engine before 503 ENGINE_UNAVAILABLE (default 10 s). */
  engineTimeoutMs?: number;
}

type Handle = WorkflowHandle<typeof generationLifecycle>;

/**
 * What the API calls to run a generation's credits. Every method is safe to retry: the workflow id is
 * the business id, so a repeated start attaches to the same workflow (or reads its final state), and a
 * repeated complete/fail gets the same answer.
 */
export function createGenerationClient(client: Client, opts: GenerationClientOptions) {
  const timeoutMs = opts.engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;

  /** Every call is bounded: an engine without workers answers 503 ENGINE_UNAVAILABLE, never a hang. */
  async function bounded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      throw domainErrorFrom(err) ?? engineUnavailable(err) ?? err;
    }
  }

  const handleOf = (orgId: string, generationId: string): Handle =>
    client.workflow.getHandle<typeof generationLifecycle>(generationWorkflowId(orgId, generationId));

  /** The final state of a closed workflow, or undefined while it is still running. */
  async function closedState(handle: Handle): Promise<GenerationState | undefined> {
    const { status } = await handle.describe();
    return status.name === 'RUNNING' ? undefined : handle.result();
  }

  /**
   * An update that failed without a domain error may have reached a workflow that already closed (a
   * retry after the first answer was lost): answer it from the final state when it asked for the same
   * ending, and refuse it otherwise.
   */
  async function answerFromClosed<T>(
    err: unknown,
    handle: Handle,
    pick: (s: GenerationState) => T | undefined,
  ): Promise<T> {
    const domain = domainErrorFrom(err);
    if (domain) throw domain;
    // The server reports an update to a closed workflow as "not found"; only describe() can tell.
    const state = await closedState(handle).catch((e: unknown) => {
      if (e instanceof WorkflowNotFoundError) throw notFound('generation', generationIdOf(handle));
      throw err;
    });
    if (!state) throw err;
    // A generation that never reserved was never handed to the caller: there is nothing to end.
    if (neverReserved(state)) throw notFound('generation', state.generationId);
    const result = pick(state);
    if (result === undefined) throw alreadyEnded(state);
    return result;
  }

  return {
    /** Reserves the format's estimate; resolves once the ledger has answered reserved or rejected. */
    async start(input: Omit<ReserveInput, 'format'> & { format: string }): Promise<ReserveResult> {
      const args = {
        orgId: requireNonEmpty('orgId', input.orgId),
        projectId: requireNonEmpty('projectId', input.projectId),
        generationId: requireNonEmpty('generationId', input.generationId),
        format: requireFormat(input.format),
        holdTimeoutMs: opts.holdTimeoutMs,
        reserveWithinMs: reservationWindowMs(timeoutMs),
      };
      const workflowId = generationWorkflowId(args.orgId, args.generationId);
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof generationLifecycle>(
        'generationLifecycle',
        {
          workflowId,
          taskQueue: opts.taskQueue,
          args: [args],
          // Running: attach to it. Closed: never start a second life for the same generation.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        },
      );
      return bounded(async () => {
        try {
          return await client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          const state = await client.workflow.getHandle<typeof generationLifecycle>(workflowId).result();
          if (state.reservation) return state.reservation;
          throw stateError(state);
        }
      });
    },

    async complete(orgId: string, generationId: string, req: CompleteRequest): Promise<CaptureResult> {
      const handle = handleOf(orgId, generationId);
      return bounded(async () => {
        try {
          return await handle.executeUpdate(completeUpdate, { args: [req] });
        } catch (err) {
          return answerFromClosed(err, handle, (s) => {
            const e = s.ending;
            const same =
              e?.kind === 'complete' &&
              e.actualCredits === req.actualCredits &&
              (e.model ?? null) === (req.model ?? null);
            if (same && s.error) throw fromErrorData(s.error);
            return same ? s.capture : undefined;
          });
        }
      });
    },

    async fail(orgId: string, generationId: string, reason: string): Promise<ReleaseResult> {
      const handle = handleOf(orgId, generationId);
      return bounded(async () => {
        try {
          return await handle.executeUpdate(failUpdate, { args: [{ reason }] });
        } catch (err) {
          return answerFromClosed(err, handle, (s) =>
            s.ending?.kind === 'fail' && s.ending.reason === reason ? s.release : undefined,
          );
        }
      });
    },

    async get(orgId: string, generationId: string): Promise<GenerationState> {
      const handle = handleOf(orgId, generationId);
      try {
        return await handle.query(stateQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('generation', generationId);
        throw err;
      }
    },
  };
}

export type GenerationClient = ReturnType<typeof createGenerationClient>;

const generationIdOf = (handle: Handle): string => handle.workflowId.split(':').at(-1) ?? handle.workflowId;

function stateError(s: GenerationState): DomainError {
  if (s.error) return fromErrorData(s.error);
  return s.rejectionReason === 'deadline_passed' ? deadlinePassed(s.generationId) : alreadyEnded(s);
}

function alreadyEnded(s: GenerationState): DomainError {
  return new DomainError(
    'GENERATION_ALREADY_ENDED',
    `generation ${s.generationId} has already ended (${s.phase})`,
    {
      generationId: s.generationId,
      phase: s.phase,
    },
  );
}
