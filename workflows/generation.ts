import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CreditActivities } from '../activities/credits';
import { requireCredits, requireNonEmpty } from '../src/credits/amounts';
import { DomainError, fromErrorData, toErrorData } from '../src/errors';
import { NON_RETRYABLE_CODES, domainErrorFrom, toApplicationFailure } from '../src/temporal/failures';
import {
  completeUpdate,
  failUpdate,
  reserveUpdate,
  stateQuery,
  type CompleteRequest,
  type Ending,
  type FailRequest,
  type GenerationInput,
  type GenerationState,
} from './generation-messages';

const retry = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  nonRetryableErrorTypes: NON_RETRYABLE_CODES,
};

// Reserving is bounded: the caller is waiting, and a reservation that cannot be made in time is
// refused rather than made long after the caller gave up.
const { reserveCredits } = proxyActivities<CreditActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '1m',
  retry,
});

// Ending a reservation is never given up (guarantee 5): it retries until the ledger answers.
const { captureCredits, releaseCredits } = proxyActivities<CreditActivities>({
  startToCloseTimeout: '30s',
  retry,
});

const SETTLED: GenerationState['phase'][] = ['completed', 'failed', 'expired', 'rejected', 'invalid'];

/**
 * One generation's credits: reserve the format's estimate, then wait for completion (charge the actual
 * cost, release the rest), failure (release everything) or the hold timeout (expire the hold).
 */
export async function generationWorkflow(input: GenerationInput): Promise<GenerationState> {
  const { orgId, projectId, generationId, format } = input;
  const state: GenerationState = { orgId, projectId, generationId, format, phase: 'reserving' };
  const settled = () => SETTLED.includes(state.phase);

  setHandler(stateQuery, () => state);

  setHandler(reserveUpdate, async () => {
    await condition(() => state.phase !== 'reserving');
    if (state.error) throw toApplicationFailure(fromErrorData(state.error));
    return state.reservation!;
  });

  setHandler(
    completeUpdate,
    async (req) => {
      const ending = endWith({ kind: 'complete', ...completeArgs(req) });
      await condition(settled);
      if (!state.capture || !sameEnding(state.ending, ending)) throw alreadyEnded();
      return state.capture;
    },
    {
      validator: (req: CompleteRequest) =>
        validate(() => checkEnding({ kind: 'complete', ...completeArgs(req) })),
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
    const closed = state.phase === 'rejected' || state.phase === 'invalid';
    if (closed || (state.ending && !sameEnding(state.ending, ending))) throw alreadyEnded();
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
    state.capture = await captureCredits({
      orgId,
      generationId,
      actualCredits: ending.actualCredits,
      model: ending.model,
    });
    state.phase = 'completed';
  } else {
    const kind = ending.kind === 'fail' ? 'release' : 'expire';
    const reason = ending.kind === 'fail' ? ending.reason : 'hold timeout';
    state.release = await releaseCredits({ orgId, generationId, kind, reason });
    state.phase = ending.kind === 'fail' ? 'failed' : 'expired';
  }
  return finish();

  async function finish(): Promise<GenerationState> {
    await condition(allHandlersFinished);
    return state;
  }
}

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
