import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { GenerationActivities } from '../activities/generations';
import type { ReleaseInput } from '../src/credits/ledger';
import { requireCredits, requireNonEmpty } from '../src/credits/amounts';
import { requirePlausibleCost } from '../src/credits/ceiling';
import { DomainError, fromErrorData, notFound, toErrorData } from '../src/errors';
import { deadlinePassed } from '../src/generations/deadline';
import { NON_RETRYABLE_CODES, domainErrorFrom, toApplicationFailure } from '../src/temporal/failures';
import {
  completeUpdate,
  failUpdate,
  neverReserved,
  reserveUpdate,
  stateQuery,
  type CompleteRequest,
  type Ending,
  type FailRequest,
  type GenerationInput,
  type GenerationState,
} from './generations.messages';

const retry = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  nonRetryableErrorTypes: NON_RETRYABLE_CODES,
};

/** The reservation window of workflows started without a caller's deadline (histories older than it). */
const LEGACY_RESERVE_WINDOW_MS = 60_000;

/**
 * Ledger calls run as local activities, in the worker that runs the workflow task: an update is answered
 * after one workflow task instead of a task, an activity dispatch and a second task, and the history is
 * half as long. Every guarantee stays: each call is idempotent on its business key, so the at-least-once
 * retry of a local activity changes nothing; settling retries until the ledger answers (guarantee 5);
 * the hold timer and the defensive release are unchanged. Workflows started before this replay with the
 * regular activities they recorded.
 */
const LOCAL_LEDGER_PATCH = 'ledger-local-activities';

function ledgerActivities(local: boolean, reserveWindowMs: number) {
  // Reserving is bounded: the caller is waiting, and a reservation that cannot be made in time is
  // refused rather than made long after the caller gave up.
  const reserve = { startToCloseTimeout: '10s', scheduleToCloseTimeout: Math.max(1, reserveWindowMs), retry };
  // Ending a reservation is never given up (guarantee 5): it retries until the ledger answers.
  const settle = { startToCloseTimeout: '30s', retry };
  const proxy = local ? proxyLocalActivities<GenerationActivities> : proxyActivities<GenerationActivities>;
  const { captureCredits, releaseCredits } = proxy(settle);
  return { reserveCredits: proxy(reserve).reserveCredits, captureCredits, releaseCredits };
}

const SETTLED: GenerationState['phase'][] = ['completed', 'failed', 'expired', 'rejected', 'invalid'];

/**
 * One generation's credits: reserve the format's estimate, then wait for completion (charge the actual
 * cost, release the rest), failure (release everything) or the hold timeout (expire the hold). Every
 * generation started today runs this type.
 *
 * It is a workflow type of its own, not a `patched()` branch of generationWorkflow, because a patch is
 * paid by every workflow that passes it: a marker event and a search-attribute upsert (a visibility
 * write on the server) per generation, two of the eighteen events its history had, for the sake of
 * workflows that live an hour at most.
 */
export async function generationLifecycle(input: GenerationInput): Promise<GenerationState> {
  return runGeneration(input, () => true);
}

/**
 * The type generations started before generationLifecycle existed ran (histories v1 to v3 replay
 * against it): the same lifecycle, with the ledger's local activities behind the patch they recorded.
 * Such a generation ends within its hold timeout, so this type can go once none runs.
 */
export async function generationWorkflow(input: GenerationInput): Promise<GenerationState> {
  return runGeneration(input, () => patched(LOCAL_LEDGER_PATCH));
}

async function runGeneration(input: GenerationInput, localLedger: () => boolean): Promise<GenerationState> {
  const { orgId, projectId, generationId, format } = input;
  const state: GenerationState = { orgId, projectId, generationId, format, phase: 'reserving' };
  const settled = () => SETTLED.includes(state.phase);

  setHandler(stateQuery, () => state);

  setHandler(reserveUpdate, async () => {
    await condition(() => state.phase !== 'reserving');
    if (state.error) throw toApplicationFailure(fromErrorData(state.error));
    if (state.rejectionReason) throw toApplicationFailure(deadlinePassed(generationId));
    return state.reservation!;
  });

  setHandler(
    completeUpdate,
    async (req) => {
      const ending = endWith({ kind: 'complete', ...completeArgs(req) });
      await condition(settled);
      if (!sameEnding(state.ending, ending)) throw alreadyEnded();
      if (state.error) throw toApplicationFailure(fromErrorData(state.error));
      if (!state.capture) throw alreadyEnded();
      return state.capture;
    },
    {
      // A refusal here is never written to history, so an implausible cost leaves the hold in place.
      validator: (req: CompleteRequest) =>
        validate(() => {
          const args = completeArgs(req);
          checkEnding({ kind: 'complete', ...args });
          const ceiling = state.reservation?.status === 'reserved' && state.reservation.maxActualCredits;
          if (ceiling) requirePlausibleCost(args.actualCredits, ceiling, format);
        }),
    },
  );

  setHandler(
    failUpdate,
    async (req) => {
      const ending = endWith({ kind: 'fail', reason: req.reason });
      await condition(settled);
      if (!state.release || !sameEnding(state.ending, ending)) throw alreadyEnded();
      return state.release;
    },
    {
      validator: (req: FailRequest) =>
        validate(() => checkEnding({ kind: 'fail', reason: requireNonEmpty('reason', req?.reason, 1000) })),
    },
  );

  /** The first ending wins; a repeat of it is answered with the same result, anything else is refused. */
  function endWith(ending: Ending): Ending {
    checkEnding(ending);
    state.ending ??= ending;
    if (!sameEnding(state.ending, ending)) throw alreadyEnded();
    return ending;
  }

  function checkEnding(ending: Ending): void {
    // A generation that never reserved was never handed to a caller: nothing of it can be ended.
    if (neverReserved(state)) throw notFoundFailure();
    if (state.ending && !sameEnding(state.ending, ending)) throw alreadyEnded();
  }

  function notFoundFailure() {
    return toApplicationFailure(notFound('generation', generationId));
  }

  function alreadyEnded() {
    return toApplicationFailure(
      new DomainError(
        'GENERATION_ALREADY_ENDED',
        `generation ${generationId} has already ended or is ending (${state.phase})`,
        {
          generationId,
          phase: state.phase,
          ending: state.ending?.kind,
        },
      ),
    );
  }

  // No worker reached this generation before its caller gave up waiting: never reserve for nobody.
  const deadline =
    input.reserveWithinMs === undefined
      ? undefined
      : workflowInfo().startTime.getTime() + input.reserveWithinMs;
  if (deadline !== undefined && Date.now() >= deadline) return rejectLate();

  const { reserveCredits, captureCredits, releaseCredits } = ledgerActivities(
    localLedger(),
    deadline === undefined ? LEGACY_RESERVE_WINDOW_MS : deadline - Date.now(),
  );
  try {
    state.reservation = await reserveCredits({ orgId, projectId, generationId, format });
  } catch (err) {
    const domain = domainErrorFrom(err);
    if (domain) {
      state.error = toErrorData(domain);
      state.phase = 'invalid';
      return finish();
    }
    // Retries ran out, yet the last attempt may have committed unseen: make sure no hold is stranded.
    await releaseCredits({ orgId, generationId, kind: 'expire', reason: 'reservation not confirmed' }).catch(
      ignoreNotFound,
    );
    if (deadline !== undefined) return rejectLate();
    throw err;
  }
  if (state.reservation.status === 'rejected') {
    state.phase = 'rejected';
    return finish();
  }

  state.phase = 'running';
  if (!(await condition(() => state.ending !== undefined, input.holdTimeoutMs)))
    state.ending = { kind: 'expire' };
  state.phase = 'settling';
  const ending = state.ending!;
  if (ending.kind === 'complete') {
    try {
      state.capture = await captureCredits({
        orgId,
        generationId,
        actualCredits: ending.actualCredits,
        model: ending.model,
      });
      state.phase = 'completed';
    } catch (err) {
      // The ledger would not store this completion (say, a NUL byte in the model): the hold must still
      // end, so it is released and the generation records why.
      const refused = refusedInput(err);
      state.error = toErrorData(refused);
      state.release = await release('release', `completion refused by the ledger: ${refusalCode(refused)}`);
      state.phase = 'failed';
    }
  } else {
    const kind = ending.kind === 'fail' ? 'release' : 'expire';
    state.release = await release(kind, ending.kind === 'fail' ? ending.reason : 'hold timeout');
    state.phase = ending.kind === 'fail' ? 'failed' : 'expired';
  }
  return finish();

  /** Releases the hold; a reason the ledger will not store is replaced, never allowed to keep the hold. */
  async function release(kind: ReleaseInput['kind'], reason: string) {
    try {
      return await releaseCredits({ orgId, generationId, kind, reason });
    } catch (err) {
      const refused = refusedInput(err);
      return releaseCredits({
        orgId,
        generationId,
        kind,
        reason: `reason refused by the ledger: ${refusalCode(refused)}`,
      });
    }
  }

  function rejectLate(): Promise<GenerationState> {
    state.phase = 'rejected';
    state.rejectionReason = 'deadline_passed';
    return finish();
  }

  async function finish(): Promise<GenerationState> {
    await condition(allHandlersFinished);
    return state;
  }
}

/** The settle activities retry everything but input the ledger refused: that one ends the hold instead. */
function refusedInput(err: unknown): DomainError {
  const domain = domainErrorFrom(err);
  if (domain?.code !== 'VALIDATION_FAILED') throw err;
  return domain;
}

const refusalCode = (err: DomainError): string => String(err.details?.sqlstate ?? err.code);

function completeArgs(req: CompleteRequest): CompleteRequest {
  return {
    actualCredits: requireCredits('actualCredits', req?.actualCredits, { min: 0 }),
    model: req?.model == null ? null : requireNonEmpty('model', req.model),
  };
}

function sameEnding(a: Ending | undefined, b: Ending): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'complete' && b.kind === 'complete')
    return a.actualCredits === b.actualCredits && (a.model ?? null) === (b.model ?? null);
  if (a.kind === 'fail' && b.kind === 'fail') return a.reason === b.reason;
  return true;
}

/** Update validators reject with the domain error's stable code rather than a generic failure. */
function validate(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof DomainError) throw toApplicationFailure(err);
    throw err;
  }
}

function ignoreNotFound(err: unknown): void {
  if (domainErrorFrom(err)?.code !== 'NOT_FOUND') throw err;
}
