import type { BillingStatus } from '../orgs/statuses';
import {
  periodBoundary,
  periodContaining,
  periodOfMonthsContaining,
  requireValidDate,
  type Period,
} from './period';
import type { Interval } from './subscription';

/**
 * Two clocks, one anchor. Renewals (when money is charged) follow the plan's interval; credit periods
 * (when allowances are granted, rolled over and reset) are always monthly from the same anchor, also on
 * yearly plans. Because both count from the anchor, every renewal boundary is also a credit boundary:
 * a yearly renewal is the 12th monthly boundary, clamped the same way (29 Feb → 28 Feb → 29 Feb).
 */

const MONTHS: Record<Interval, number> = { month: 1, year: 12 };

/** The n-th renewal after the anchor (n = 0 is the anchor itself). */
export const renewalBoundary = (anchor: Date, interval: Interval, n: number): Date =>
  periodBoundary(anchor, n * MONTHS[interval]);

/** The renewal period containing `at`: start inclusive, end exclusive. */
export const renewalPeriodContaining = (anchor: Date, interval: Interval, at: Date): Period =>
  periodOfMonthsContaining(anchor, MONTHS[interval], at);

/** The credit period containing `at`: monthly from the anchor, whatever the plan's interval. */
export const creditPeriodContaining = (anchor: Date, at: Date): Period => periodContaining(anchor, at);

/** The first renewal period of an anchor set at `start` (a new subscription, a resume, an interval change). */
export const firstPeriod = (start: Date, interval: Interval): Period => ({
  start: requireValidDate('start', start),
  end: renewalBoundary(start, interval, 1),
});

export type ClockEventKind = 'credit_period_end' | 'renewal' | 'rollover_expiry' | 'payment_retry';

export interface ClockState {
  anchor: Date;
  interval: Interval;
  status: BillingStatus;
  /** When the rolled-over grant expires, if one is outstanding. */
  rolloverExpiresAt?: Date | null;
  /** When the next payment retry is due (past_due only; ./dunning.ts). */
  nextRetryAt?: Date | null;
}

export interface ClockEvent {
  at: Date;
  /** Everything due at that instant, in the order the workflow handles it. */
  kinds: ClockEventKind[];
}

const ORDER: readonly ClockEventKind[] = ['rollover_expiry', 'credit_period_end', 'renewal', 'payment_retry'];

/**
 * What the workflow sleeps until: the first event strictly after `after`. Pass the time everything has
 * been handled up to (the last boundary processed), not the clock's reading, so a timer that fires late
 * never skips a boundary. A renewal falls on a credit boundary, so both come together; paused and
 * canceled orgs have no periods, only a rolled-over grant still to expire. Null: nothing to wait for.
 */
export function nextEvent(state: ClockState, after: Date): ClockEvent | null {
  requireValidDate('after', after);
  const candidates: Array<{ at: Date; kind: ClockEventKind }> = [];
  if (state.status === 'active' || state.status === 'past_due') {
    const credit = creditPeriodContaining(state.anchor, after);
    candidates.push({ at: credit.end, kind: 'credit_period_end' });
    const renewal = renewalPeriodContaining(state.anchor, state.interval, after);
    candidates.push({ at: renewal.end, kind: 'renewal' });
  }
  if (state.rolloverExpiresAt && state.rolloverExpiresAt.getTime() > after.getTime()) {
    candidates.push({
      at: requireValidDate('rolloverExpiresAt', state.rolloverExpiresAt),
      kind: 'rollover_expiry',
    });
  }
  if (state.status === 'past_due' && state.nextRetryAt && state.nextRetryAt.getTime() > after.getTime()) {
    candidates.push({ at: requireValidDate('nextRetryAt', state.nextRetryAt), kind: 'payment_retry' });
  }
  if (candidates.length === 0) return null;
  const first = Math.min(...candidates.map((c) => c.at.getTime()));
  const kinds = candidates.filter((c) => c.at.getTime() === first).map((c) => c.kind);
  kinds.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return { at: new Date(first), kinds };
}
