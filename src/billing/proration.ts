import { requireValidDate, type Period } from './period';
import { planPrice } from './prices';
import { mulDivRound } from './rounding';
import { describePlan, type Plan } from './subscription';

/**
 * Proration, Stripe's way, to the second. For a change at `at` inside [start, end):
 *   remaining = end − at, total = end − start (whole seconds of Unix time, as Stripe counts);
 *   "Unused time on <old>"      = −round(oldPrice × remaining / total)
 *   "Remaining time on <new>"   = +round(newPrice × remaining / total)
 * Each line is rounded to the cent on its own, halves away from zero (./rounding.ts, BigInt), and the
 * total is the sum of the rounded lines, so what the customer sees adds up. A negative total is a
 * refund. At `at` = start the lines are the full prices; the last second of a period is worth a
 * second's share.
 */
export type ProrationLineKind = 'unused_time' | 'remaining_time' | 'new_period';

export interface ProrationLine {
  description: string;
  amountCents: number;
  kind: ProrationLineKind;
}

export interface Proration {
  lines: ProrationLine[];
  totalCents: number;
}

const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Seconds left and in total of `period` at `at`; `at` must fall inside it (the workflow pins it). */
export function secondsLeft(period: Period, at: Date): { remaining: number; total: number } {
  requireValidDate('at', at);
  requireValidDate('period.start', period.start);
  requireValidDate('period.end', period.end);
  if (at.getTime() < period.start.getTime() || at.getTime() >= period.end.getTime()) {
    throw new RangeError(
      `at ${at.toISOString()} is outside the period [${period.start.toISOString()}, ${period.end.toISOString()})`,
    );
  }
  const total = unixSeconds(period.end) - unixSeconds(period.start);
  if (total <= 0) throw new RangeError('period: must last at least one second');
  return { remaining: unixSeconds(period.end) - unixSeconds(at), total };
}

const sum = (lines: ProrationLine[]): Proration => ({
  lines,
  totalCents: lines.reduce((s, l) => s + l.amountCents, 0),
});

function unusedLine(plan: Plan, period: Period, at: Date): ProrationLine {
  const { remaining, total } = secondsLeft(period, at);
  return {
    description: `Unused time on ${describePlan(plan)} after ${at.toISOString()}`,
    // 0 - x, not -x: a zero credit is 0, never -0.
    amountCents: 0 - mulDivRound(planPrice(plan).totalCents, remaining, total),
    kind: 'unused_time',
  };
}

/**
 * A change within the same interval (tier, seats, or both; up or down): credit the unused time on the
 * old plan, charge the remaining time on the new one, both over the current period.
 */
export function prorate(from: Plan, to: Plan, period: Period, at: Date): Proration {
  if (from.interval !== to.interval) throw new RangeError('prorate: use intervalChange for a new interval');
  const { remaining, total } = secondsLeft(period, at);
  return sum([
    unusedLine(from, period, at),
    {
      description: `Remaining time on ${describePlan(to)} after ${at.toISOString()}`,
      amountCents: mulDivRound(planPrice(to).totalCents, remaining, total),
      kind: 'remaining_time',
    },
  ]);
}

/**
 * Monthly ↔ yearly: the anchor resets to `at`, so the new plan is charged in full for its first
 * interval from `at`, less the unused time on the old one.
 */
export function intervalChange(from: Plan, to: Plan, period: Period, at: Date): Proration {
  if (from.interval === to.interval) throw new RangeError('intervalChange: the interval does not change');
  return sum([unusedLine(from, period, at), newPeriodLine(to, at)]);
}

/** The unused time alone, refunded when a paid period stops early (a pause). */
export const unusedTime = (plan: Plan, period: Period, at: Date): Proration =>
  sum([unusedLine(plan, period, at)]);

/** A full interval from `at` (a resume or a new subscription starts a new anchor). */
export const newPeriod = (plan: Plan, at: Date): Proration => sum([newPeriodLine(plan, at)]);

function newPeriodLine(plan: Plan, at: Date): ProrationLine {
  return {
    description: `${describePlan(plan)} from ${requireValidDate('at', at).toISOString()}`,
    amountCents: planPrice(plan).totalCents,
    kind: 'new_period',
  };
}

/** What the total asks of the card: a charge, a refund, or nothing. */
export const settlementOf = (p: Proration): 'charge' | 'refund' | 'none' =>
  p.totalCents > 0 ? 'charge' : p.totalCents < 0 ? 'refund' : 'none';
