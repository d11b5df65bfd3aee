import { describe, expect, it } from 'vitest';
import { planAllowanceChange, planPeriodClose, rolloverExpiry, splitExpiry } from '../../src/credits/expiry';

describe('splitExpiry', () => {
  it('keeps as pending the part of the expiring credits that holds not yet backed need', () => {
    expect(splitExpiry(300, { reservedCredits: 0, pendingExpiry: 0 })).toEqual({ held: 0, expired: 300 });
    expect(splitExpiry(300, { reservedCredits: 120, pendingExpiry: 0 })).toEqual({ held: 120, expired: 180 });
    expect(splitExpiry(300, { reservedCredits: 500, pendingExpiry: 0 })).toEqual({ held: 300, expired: 0 });
    // 50 of the 120 held are backed by credits that are pending already.
    expect(splitExpiry(300, { reservedCredits: 120, pendingExpiry: 50 })).toEqual({ held: 70, expired: 230 });
  });
});

describe('planPeriodClose', () => {
  const idle = { reservedCredits: 0, pendingExpiry: 0, dueGrants: 0 };

  it('rolls unused included credits over up to the cap and lets the rest expire', () => {
    expect(planPeriodClose({ ...idle, includedRemaining: 700, rolloverDays: 30, rolloverCap: 1000 })).toEqual(
      { rolledOver: 700, held: 0, expired: 0, rolloverExpired: 0 },
    );
    expect(planPeriodClose({ ...idle, includedRemaining: 700, rolloverDays: 30, rolloverCap: 400 })).toEqual({
      rolledOver: 400,
      held: 0,
      expired: 300,
      rolloverExpired: 0,
    });
  });

  it('is a plain reset with 0 rollover days, whatever the cap', () => {
    expect(planPeriodClose({ ...idle, includedRemaining: 700, rolloverDays: 0, rolloverCap: 1000 })).toEqual({
      rolledOver: 0,
      held: 0,
      expired: 700,
      rolloverExpired: 0,
    });
  });

  it('expires due grants, and counts them as expired rollover', () => {
    expect(
      planPeriodClose({ ...idle, dueGrants: 250, includedRemaining: 0, rolloverDays: 30, rolloverCap: 1000 }),
    ).toEqual({ rolledOver: 0, held: 0, expired: 250, rolloverExpired: 250 });
  });

  it('keeps held credits as pending, in the due grants first', () => {
    // 200 held: due grants 150 are the earliest credits, then 100 of the included ones beyond the cap.
    const plan = planPeriodClose({
      reservedCredits: 200,
      pendingExpiry: 0,
      dueGrants: 150,
      includedRemaining: 500,
      rolloverDays: 30,
      rolloverCap: 400,
    });
    expect(plan).toEqual({ rolledOver: 400, held: 200, expired: 50, rolloverExpired: 0 });
  });
});

describe('planAllowanceChange', () => {
  it('adds the difference on an upgrade', () => {
    expect(
      planAllowanceChange({ allowance: 6000, includedThisPeriod: 1000, includedRemaining: 300 }),
    ).toEqual({
      added: 5000,
      removed: 0,
    });
  });

  it('clamps to the new allowance less what the period used on a downgrade, never below 0', () => {
    // Used 300 of 1000: a 400 allowance leaves 100.
    expect(planAllowanceChange({ allowance: 400, includedThisPeriod: 1000, includedRemaining: 700 })).toEqual(
      {
        added: 0,
        removed: 600,
      },
    );
    // Used 900: nothing is left under a 400 allowance.
    expect(planAllowanceChange({ allowance: 400, includedThisPeriod: 1000, includedRemaining: 100 })).toEqual(
      {
        added: 0,
        removed: 100,
      },
    );
  });
});

describe('rolloverExpiry', () => {
  it('adds whole days of 24 hours, whatever the calendar', () => {
    expect(rolloverExpiry(new Date('2026-01-31T10:00:00Z'), 30).toISOString()).toBe(
      '2026-03-02T10:00:00.000Z',
    );
    expect(rolloverExpiry(new Date('2026-03-08T10:00:00Z'), 1).toISOString()).toBe(
      '2026-03-09T10:00:00.000Z',
    );
  });
});
