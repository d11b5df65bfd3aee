import { describe, expect, it } from 'vitest';
import { periodContaining, periodOfMonthsContaining, requireValidDate } from '../../src/billing/period';

const d = (s: string) => new Date(s);
const iso = (p: { start: Date; end: Date }) => [p.start.toISOString(), p.end.toISOString()];

describe('periodContaining', () => {
  it('runs from anniversary to anniversary', () => {
    expect(iso(periodContaining(d('2026-04-01T00:00:00Z'), d('2026-04-15T12:00:00Z')))).toEqual([
      '2026-04-01T00:00:00.000Z',
      '2026-05-01T00:00:00.000Z',
    ]);
  });
  it('includes the start and excludes the end', () => {
    const anchor = d('2026-01-10T09:30:00Z');
    expect(iso(periodContaining(anchor, d('2026-03-10T09:30:00Z')))[0]).toBe('2026-03-10T09:30:00.000Z');
    expect(iso(periodContaining(anchor, d('2026-03-10T09:29:59.999Z')))[0]).toBe('2026-02-10T09:30:00.000Z');
  });
  it('ends short months on their last day and returns to the anchor day after', () => {
    const anchor = d('2026-01-31T00:00:00Z');
    expect(iso(periodContaining(anchor, d('2026-02-15T00:00:00Z')))).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
    ]);
    expect(iso(periodContaining(anchor, d('2026-03-01T00:00:00Z')))).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(iso(periodContaining(anchor, d('2028-02-29T12:00:00Z')))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2028-03-31T00:00:00.000Z',
    ]);
  });
  it('crosses years', () => {
    expect(iso(periodContaining(d('2025-12-20T00:00:00Z'), d('2027-01-05T00:00:00Z')))).toEqual([
      '2026-12-20T00:00:00.000Z',
      '2027-01-20T00:00:00.000Z',
    ]);
  });
  it('refuses invalid dates', () => {
    expect(() => periodContaining(d('nope'), d('2026-01-01T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('periodOfMonthsContaining', () => {
  it('counts every boundary from the anchor: a yearly 29 February comes back in leap years', () => {
    const anchor = d('2024-02-29T00:00:00Z');
    expect(iso(periodOfMonthsContaining(anchor, 12, d('2027-03-01T00:00:00Z')))).toEqual([
      '2027-02-28T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
    ]);
  });

  it('finds the period before the anchor too, and other lengths', () => {
    expect(iso(periodOfMonthsContaining(d('2026-05-31T00:00:00Z'), 3, d('2026-03-01T00:00:00Z')))).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
    ]);
  });

  it('refuses lengths that are not whole months and invalid dates', () => {
    const at = d('2026-01-01T00:00:00Z');
    expect(() => periodOfMonthsContaining(at, 0, at)).toThrow(RangeError);
    expect(() => periodOfMonthsContaining(at, 1.5, at)).toThrow(RangeError);
    expect(() => periodOfMonthsContaining(at, 12, d('nope'))).toThrow(RangeError);
    expect(() => requireValidDate('at', 'x' as unknown as Date)).toThrow(RangeError);
  });
});
