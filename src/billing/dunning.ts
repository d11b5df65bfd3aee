import { requireValidDate } from './period';

/**
 * After a declined renewal the org is past_due and the charge is retried on a schedule; after the last
 * retry fails it is paused (./lifecycle.ts pause: nothing to refund, the period was never paid). A
 * success at any point, or a new card that pays, restores active.
 *
 * The schedule counts days from the first failure, not from the previous attempt: a retry that ran
 * late (a worker outage) does not push the later ones back, so a replay always lands on the same times.
 */
export const DEFAULT_RETRY_DAYS: readonly number[] = Object.freeze([1, 3, 5]);

const DAY_MS = 24 * 60 * 60 * 1000;

export function requireRetrySchedule(days: readonly number[]): readonly number[] {
  let previous = 0;
  for (const d of days) {
    if (!Number.isInteger(d) || d <= previous) {
      throw new RangeError('retry schedule: whole days, strictly increasing, after day 0');
    }
    previous = d;
  }
  return days;
}

/**
 * When retry number `attempt` (1-based) is due, counted from `failedAt` (the first failure); null
 * once the schedule is exhausted.
 */
export function nextRetryAt(
  failedAt: Date,
  attempt: number,
  schedule: readonly number[] = DEFAULT_RETRY_DAYS,
): Date | null {
  requireValidDate('failedAt', failedAt);
  requireRetrySchedule(schedule);
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt: must be a positive integer');
  const days = schedule[attempt - 1];
  return days === undefined ? null : new Date(failedAt.getTime() + days * DAY_MS);
}

export type DunningState =
  { status: 'past_due'; nextRetryAt: Date; attempt: number } | { status: 'paused'; nextRetryAt: null };

/**
 * The state after a failed charge. `failures` counts the declines so far, the renewal's own included
 * (1 after the renewal, 2 after the first retry…), so the next attempt is retry number `failures`.
 */
export function afterFailedCharge(
  firstFailedAt: Date,
  failures: number,
  schedule: readonly number[] = DEFAULT_RETRY_DAYS,
): DunningState {
  if (!Number.isInteger(failures) || failures < 1)
    throw new RangeError('failures: must be a positive integer');
  const at = nextRetryAt(firstFailedAt, failures, schedule);
  return at === null
    ? { status: 'paused', nextRetryAt: null }
    : { status: 'past_due', nextRetryAt: at, attempt: failures };
}

/** A charge that went through: back to active, with no retry pending. */
export const afterSuccessfulCharge = (): { status: 'active'; nextRetryAt: null } => ({
  status: 'active',
  nextRetryAt: null,
});
