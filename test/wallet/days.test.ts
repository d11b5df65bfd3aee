import { describe, expect, it } from 'vitest';
import {
  ACH_SETTLEMENT_BUSINESS_DAYS,
  achExpectedSettlement,
  addBusinessDays,
  addDays,
  isLocalDay,
  isTimeZone,
  localDay,
  nextLocalDayStart,
  requireInstant,
  startOfLocalDay,
} from '../../src/wallet/days';

const NY = 'America/New_York';
const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('localDay: the calendar day of an instant in an IANA zone', () => {
  it('is the UTC date in UTC', () => {
    expect(localDay(at('2026-03-08T00:00:00Z'), 'UTC')).toBe('2026-03-08');
    expect(localDay(at('2026-03-08T23:59:59.999Z'), 'UTC')).toBe('2026-03-08');
  });

  it('follows New York across the spring-forward day (2026-03-08, 23 hours long)', () => {
    // EST (UTC−5) until 02:00 local, EDT (UTC−4) after.
    expect(localDay(at('2026-03-08T04:59:59Z'), NY)).toBe('2026-03-07');
    expect(localDay(at('2026-03-08T05:00:00Z'), NY)).toBe('2026-03-08');
    expect(localDay(at('2026-03-08T06:59:59Z'), NY)).toBe('2026-03-08'); // 01:59:59 EST
    expect(localDay(at('2026-03-08T07:00:00Z'), NY)).toBe('2026-03-08'); // 03:00:00 EDT
    expect(localDay(at('2026-03-09T03:59:59Z'), NY)).toBe('2026-03-08'); // 23:59:59 EDT
    expect(localDay(at('2026-03-09T04:00:00Z'), NY)).toBe('2026-03-09');
  });

  it('handles zones off by half an hour and east of Greenwich', () => {
    expect(localDay(at('2026-01-01T18:29:59Z'), 'Asia/Kolkata')).toBe('2026-01-01');
    expect(localDay(at('2026-01-01T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-01-02');
    expect(localDay(at('2026-01-01T10:59:59Z'), 'Pacific/Auckland')).toBe('2026-01-01');
    expect(localDay(at('2026-01-01T11:00:00Z'), 'Pacific/Auckland')).toBe('2026-01-02');
  });
});

describe('startOfLocalDay and nextLocalDayStart: when a day (and its cap) begins', () => {
  it('gives 23 hours to the spring-forward day and 25 to the fall-back day in New York', () => {
    expect(startOfLocalDay('2026-03-08', NY).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-09', NY).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfLocalDay('2026-03-09', NY).getTime() - startOfLocalDay('2026-03-08', NY).getTime()).toBe(
      23 * HOUR,
    );
    expect(startOfLocalDay('2026-11-02', NY).getTime() - startOfLocalDay('2026-11-01', NY).getTime()).toBe(
      25 * HOUR,
    );
    expect(nextLocalDayStart(at('2026-03-08T12:00:00Z'), NY).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(nextLocalDayStart(at('2026-03-09T03:59:59Z'), NY).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });

  it('is the first instant of the day where DST skips midnight itself (Santiago, 2026-09-06)', () => {
    const start = startOfLocalDay('2026-09-06', 'America/Santiago');
    expect(localDay(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDay(new Date(start.getTime() - 1000), 'America/Santiago')).toBe('2026-09-05');
    // Clocks jump from 24:00 to 01:00 (−04 to −03): the day starts at 01:00 local, 04:00 UTC.
    expect(start.toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('is UTC midnight in UTC', () => {
    expect(startOfLocalDay('2026-02-28', 'UTC').toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });
});

describe('business days: weekends skipped, 3 for ACH', () => {
  it('counts Monday to Friday only', () => {
    expect(addBusinessDays('2026-03-06', 1)).toBe('2026-03-09'); // Fri → Mon
    expect(addBusinessDays('2026-03-07', 1)).toBe('2026-03-09'); // Sat → Mon
    expect(addBusinessDays('2026-03-08', 1)).toBe('2026-03-09'); // Sun → Mon
    expect(addBusinessDays('2026-03-09', 0)).toBe('2026-03-09');
    expect(addBusinessDays('2026-03-09', 5)).toBe('2026-03-16');
    expect(() => addBusinessDays('2026-03-09', -1)).toThrow(RangeError);
  });

  it('expects ACH on the third business day, across a weekend too', () => {
    expect(ACH_SETTLEMENT_BUSINESS_DAYS).toBe(3);
    expect(achExpectedSettlement('2026-03-09')).toBe('2026-03-12'); // Mon → Thu
    expect(achExpectedSettlement('2026-03-12')).toBe('2026-03-17'); // Thu → Tue
    expect(achExpectedSettlement('2026-03-06')).toBe('2026-03-11'); // Fri → Wed
    expect(achExpectedSettlement('2026-03-07')).toBe('2026-03-11'); // Sat → Wed
    expect(achExpectedSettlement('2026-12-31')).toBe('2027-01-05'); // Thu → Tue, across the year
  });
});

describe('input', () => {
  it('knows IANA zones and refuses the rest, bare offsets included', () => {
    for (const tz of ['UTC', NY, 'america/new_york', 'Etc/GMT+5', 'Asia/Kolkata'])
      expect(isTimeZone(tz)).toBe(true);
    for (const tz of ['Mars/Olympus_Mons', '+05:00', '-03', '', ' UTC', 'UTC ', 42, null, 'x'.repeat(65)]) {
      expect(isTimeZone(tz)).toBe(false);
    }
  });

  it('accepts only real calendar days', () => {
    expect(isLocalDay('2028-02-29')).toBe(true);
    for (const d of ['2026-02-29', '2026-13-01', '2026-3-8', '20260308', '', 20260308])
      expect(isLocalDay(d)).toBe(false);
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });

  it('takes business times as Dates or ISO strings', () => {
    expect(requireInstant('at', '2026-03-08T05:00:00Z').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(() => requireInstant('at', 'yesterday')).toThrow(/at: must be a date-time/);
    expect(() => requireInstant('at', '')).toThrow(/at/);
    expect(() => requireInstant('at', 0)).toThrow(/at/);
  });
});
