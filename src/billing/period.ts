/**
 * Monthly billing periods run from the billing anchor's day-of-month and time to the same point in the
 * next month. When a month is too short (anchor on the 31st), the period ends on that month's last day
 * at the anchor's time, and the next one goes back to the anchor day: the way Stripe bills anniversaries.
 * Periods of several months (a year is 12) follow the same rule, so a yearly anchor on 29 February
 * renews on 28 February in common years and on the 29th again in leap years. All in UTC.
 */
export interface Period {
  start: Date;
  end: Date;
}

/** Refuses an Invalid Date: every boundary computed from one would be NaN and compare false. */
export function requireValidDate(name: string, d: Date): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name}: invalid date`);
  return d;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The n-th monthly boundary after the anchor (n = 0 is the anchor itself). */
export function periodBoundary(anchor: Date, n: number): Date {
  const monthIndex = anchor.getUTCMonth() + n;
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  return new Date(
    Date.UTC(
      year,
      month,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/**
 * The period of `months` months (1 = monthly, 12 = yearly) that contains `at`: start inclusive, end
 * exclusive. Each boundary is computed from the anchor, never from the previous boundary, so one short
 * month does not pull every later boundary back to the 28th.
 */
export function periodOfMonthsContaining(anchor: Date, months: number, at: Date): Period {
  requireValidDate('anchor', anchor);
  requireValidDate('at', at);
  if (!Number.isInteger(months) || months < 1) throw new RangeError('months: must be a positive integer');
  const elapsed =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  // The estimate is right or one step too many; step until the boundary is not after `at`.
  let n = Math.floor(elapsed / months);
  while (periodBoundary(anchor, n * months).getTime() > at.getTime()) n -= 1;
  while (periodBoundary(anchor, (n + 1) * months).getTime() <= at.getTime()) n += 1;
  return { start: periodBoundary(anchor, n * months), end: periodBoundary(anchor, (n + 1) * months) };
}

/** The monthly period that contains `at` (start inclusive, end exclusive). */
export function periodContaining(anchor: Date, at: Date): Period {
  return periodOfMonthsContaining(anchor, 1, at);
}
