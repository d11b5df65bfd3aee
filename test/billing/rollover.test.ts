import { describe, expect, it } from 'vitest';
import { rolloverAtClose, rolloverPolicy } from '../../src/billing/rollover';
import { d } from './support';

const close = d('2026-02-28T10:00:00Z');

describe('rollover policy per tier', () => {
  it('keeps paid tiers’ unused credits 30 days, capped at one allowance; free keeps none', () => {
    expect(rolloverPolicy('pro')).toEqual({ rolloverDays: 30, rolloverCap: 1_000 });
    expect(rolloverPolicy('team')).toEqual({ rolloverDays: 30, rolloverCap: 6_000 });
    expect(rolloverPolicy('free')).toEqual({ rolloverDays: 0, rolloverCap: 0 });
  });
});

describe('rolloverAtClose', () => {
  it('rolls unused credits over until 30 days after the close', () => {
    expect(rolloverAtClose(400, rolloverPolicy('pro'), close)).toEqual({
      rolledOver: 400,
      expired: 0,
      expiresAt: d('2026-03-30T10:00:00Z'),
    });
  });

  it('expires what is above the cap', () => {
    expect(rolloverAtClose(1_500, { rolloverDays: 30, rolloverCap: 1_000 }, close)).toMatchObject({
      rolledOver: 1_000,
      expired: 500,
    });
  });

  it('is a plain reset with no rollover days, and rolls nothing over when nothing is left', () => {
    expect(rolloverAtClose(80, rolloverPolicy('free'), close)).toEqual({
      rolledOver: 0,
      expired: 80,
      expiresAt: null,
    });
    expect(rolloverAtClose(0, rolloverPolicy('pro'), close)).toEqual({
      rolledOver: 0,
      expired: 0,
      expiresAt: null,
    });
    expect(rolloverAtClose(500, { rolloverDays: 30, rolloverCap: 0 }, close)).toMatchObject({
      expiresAt: null,
    });
  });

  it('counts 24-hour UTC days, across month and year ends', () => {
    expect(
      rolloverAtClose(1, { rolloverDays: 90, rolloverCap: 10 }, d('2026-12-31T23:30:00Z')).expiresAt,
    ).toEqual(d('2027-03-31T23:30:00Z'));
  });

  it('refuses amounts and policies the ledger could not hold', () => {
    expect(() => rolloverAtClose(-1, rolloverPolicy('pro'), close)).toThrow(RangeError);
    expect(() => rolloverAtClose(1.5, rolloverPolicy('pro'), close)).toThrow(RangeError);
    expect(() => rolloverAtClose(1, { rolloverDays: -1, rolloverCap: 5 }, close)).toThrow(RangeError);
    expect(() => rolloverAtClose(1, { rolloverDays: 30, rolloverCap: -5 }, close)).toThrow(RangeError);
    expect(() => rolloverAtClose(1, rolloverPolicy('pro'), d('nope'))).toThrow(RangeError);
  });
});
