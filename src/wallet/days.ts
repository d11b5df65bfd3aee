import { invalid } from '../errors';

/**
 * Calendar days in an org's time zone, for the auto-top-up daily cap ("a day" is the org's billing day,
 * DESIGN.md guarantee 6) and ACH settlement dates.
 *
 * Built on Intl.DateTimeFormat, which carries the IANA time-zone database in Node's ICU: no dependency,
 * and it works unchanged inside Temporal's workflow sandbox. Luxon would wrap the same Intl calls; the
 * three conversions below do not need it. PostgreSQL computes the same day from its own copy of the
 * database when it counts the cap (`at AT TIME ZONE time_zone`), and refuses a claim whose day disagrees.
 *
 * Pure: no clock. Days are ISO dates ('YYYY-MM-DD'), which compare correctly as strings.
 */
export type LocalDay = string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * An IANA name's shape: letters first, so that a bare offset ('+05:00', which newer Intl accepts and
 * PostgreSQL would read as a POSIX zone with the sign inverted) is never taken for a zone.
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Whether Intl knows the IANA zone (case-insensitively, as PostgreSQL does). */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 64 || !ZONE_NAME.test(value)) return false;
  try {
    formatter(value);
    return true;
  } catch {
    return false;
  }
}

/** A business time as a Date, or as the ISO string Temporal turns a Date into between workflow and activity. */
export type Instant = Date | string;

export function requireInstant(field: string, value: unknown): Date {
  const date =
    value instanceof Date ? value : typeof value === 'string' && value !== '' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalid(field, 'must be a date-time');
  return date;
}

export function requireTimeZone(field: string, value: unknown): string {
  if (!isTimeZone(value)) throw invalid(field, 'must be an IANA time zone such as America/New_York');
  return value;
}

/** The calendar day `at` falls on in `timeZone`. */
export function localDay(at: Date, timeZone: string): LocalDay {
  const parts = formatter(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayToUtcMs(day: LocalDay): number {
  const m = DAY.exec(day);
  if (!m) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

const utcMsToDay = (ms: number): LocalDay => new Date(ms).toISOString().slice(0, 10);

export function isLocalDay(value: unknown): value is LocalDay {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  return utcMsToDay(dayToUtcMs(value)) === value;
}

export function requireLocalDay(field: string, value: unknown): LocalDay {
  if (!isLocalDay(value)) throw invalid(field, 'must be a calendar date YYYY-MM-DD');
  return value;
}

const MS_PER_DAY = 86_400_000;

export const addDays = (day: LocalDay, days: number): LocalDay =>
  utcMsToDay(dayToUtcMs(day) + days * MS_PER_DAY);

/** 0 = Sunday … 6 = Saturday: a date's weekday does not depend on any time zone. */
export const weekday = (day: LocalDay): number => new Date(dayToUtcMs(day)).getUTCDay();

export const isBusinessDay = (day: LocalDay): boolean => weekday(day) !== 0 && weekday(day) !== 6;

/**
 * The day `n` business days after `day`: weekends are skipped, holidays are not (there is no bank-holiday
 * calendar; a US holiday makes the real settlement one day later than shown). Friday + 1 is Monday;
 * Saturday + 1 is Monday too.
 */
export function addBusinessDays(day: LocalDay, n: number): LocalDay {
  if (!Number.isInteger(n) || n < 0) throw new RangeError('n: must be a whole number of days, at least 0');
  let d = day;
  for (let left = n; left > 0;) {
    d = addDays(d, 1);
    if (isBusinessDay(d)) left -= 1;
  }
  return d;
}

/**
 * ACH settles in 1–3 business days (seed 000 and 001). The expected date shown is the last of them:
 * a date the money is very likely there by, rather than one it often misses.
 */
export const ACH_SETTLEMENT_BUSINESS_DAYS = 3;

/** The expected settlement date of an ACH top-up started on the org's local day `startedOn`. */
export const achExpectedSettlement = (startedOn: LocalDay): LocalDay =>
  addBusinessDays(startedOn, ACH_SETTLEMENT_BUSINESS_DAYS);

/**
 * The first instant of `day` in `timeZone`: local midnight, or the first instant after it when a DST
 * change skips midnight (a few zones spring forward at 00:00). Found by bisection over the ±15 h around
 * UTC midnight that every UTC offset falls within, to the second; a day is monotone in the instant.
 */
export function startOfLocalDay(day: LocalDay, timeZone: string): Date {
  const midnightUtc = dayToUtcMs(day);
  let lo = Math.floor((midnightUtc - 15 * 3_600_000) / 1000); // before the day began everywhere
  let hi = Math.floor((midnightUtc + 15 * 3_600_000) / 1000); // after it began everywhere
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(new Date(mid * 1000), timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return new Date(hi * 1000);
}

/** When the local day after the one `at` falls on begins: when a spent daily cap starts over. */
export const nextLocalDayStart = (at: Date, timeZone: string): Date =>
  startOfLocalDay(addDays(localDay(at, timeZone), 1), timeZone);
