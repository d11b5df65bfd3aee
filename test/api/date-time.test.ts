import { describe, expect, it } from 'vitest';
import { isDateTime, parseDateTime } from '../../src/api/date-time';

/** The `date-time` format requests are validated with: RFC 3339, field by field. */
describe('isDateTime', () => {
  it.each([
    '2026-03-10T15:00:00Z',
    '2026-03-10t15:00:00z',
    '2026-03-10T15:00:00.123456789+05:30',
    '2024-02-29T00:00:00-23:59',
    '2000-02-29T23:59:59Z',
  ])('accepts %s', (value) => {
    expect(isDateTime(value)).toBe(true);
    expect(Number.isNaN(parseDateTime(value).getTime())).toBe(false);
  });

  it.each([
    '2026-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z', // divisible by 100, not by 400
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-03-10T24:00:00Z',
    '2026-03-10T23:60:00Z',
    '2026-03-10T23:59:60Z', // a leap second: Date cannot hold it
    '2026-03-10T15:00:00', // no zone
    '2026-03-10T15:00:00+24:00',
    '2026-03-10 15:00:00Z',
    '2026-03-10',
    '',
  ])('refuses %s', (value) => {
    expect(isDateTime(value)).toBe(false);
  });

  it('reads a lower-case date-time as the same instant', () => {
    expect(parseDateTime('2026-03-10t15:00:00z').toISOString()).toBe('2026-03-10T15:00:00.000Z');
  });
});
