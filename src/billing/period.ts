/**
 * Monthly billing periods run from the billing anchor's day-of-month and time to the same point in the
 * next month. When a month is too short (anchor on the 31st), the period ends on that month's last day
 * at the anchor's time, and the next one goes back to the anchor day: the way Stripe bills anniversaries.
 * All in UTC.
 */
export interface Period {
  start: Date;
  end: Date;
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

/** The period that contains `at` (start inclusive, end exclusive). */
export function periodContaining(anchor: Date, at: Date): Period {
  if (Number.isNaN(anchor.getTime()) || Number.isNaN(at.getTime())) throw new RangeError('invalid date');
  const months =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  // The month difference is right or one too many; step back until the boundary is not after `at`.
  let n = months;
  while (periodBoundary(anchor, n).getTime() > at.getTime()) n -= 1;
  while (periodBoundary(anchor, n + 1).getTime() <= at.getTime()) n += 1;
  return { start: periodBoundary(anchor, n), end: periodBoundary(anchor, n + 1) };
}
