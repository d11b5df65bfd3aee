import { addDays, differenceInCalendarDays, format, parseISO, subDays } from 'date-fns';

/**
 * Dates as a person reads them, in the browser's time zone: `Nov 22, 2026`, `Nov 22, 2026, 14:05`.
 * Calendar dates the API sends as `YYYY-MM-DD` (a wallet's day, an ACH settlement) are days, not instants:
 * parseISO reads them as that day, in any zone.
 */
export const formatDate = (value: string): string => format(parseISO(value), 'MMM d, yyyy');
export const formatDateTime = (value: string): string => format(parseISO(value), 'MMM d, yyyy, HH:mm');
export const formatShortDay = (value: string): string => format(parseISO(value), 'MMM d');

/** "Nov 22 – Dec 22, 2026" style, always with both years when they differ. */
export function formatPeriod(start: string, end: string): string {
  return `${formatDate(start)} – ${formatDate(end)}`;
}

/** Whole calendar days from `now` until `end`, never negative. */
export function daysLeft(end: string, now: Date = new Date()): number {
  return Math.max(0, differenceInCalendarDays(parseISO(end), now));
}

/** A `YYYY-MM-DD` from a date input as the start of that UTC day, RFC 3339. */
export const utcDayStart = (day: string): string => `${day}T00:00:00Z`;

/** The end of a `YYYY-MM-DD` (inclusive for the person, exclusive for the API): the next UTC midnight. */
export const utcDayEnd = (day: string): string =>
  addDays(parseISO(`${day}T00:00:00Z`), 1)
    .toISOString()
    .replace('.000Z', 'Z');

/** Today's UTC day as `YYYY-MM-DD`, for the date inputs that filter in UTC days. */
export const todayInput = (now: Date = new Date()): string => now.toISOString().slice(0, 10);

/** The UTC day `n` days before today as `YYYY-MM-DD`. */
export const daysAgoInput = (n: number, now: Date = new Date()): string => todayInput(subDays(now, n));
