import { describe, expect, it } from 'vitest';
import { planFloor, resumeAtCents, resumeMarginCents } from '../../src/wallet/floor';

describe('planFloor: pause below the floor, resume only above floor + margin', () => {
  it('documents the margin: 10% of the floor, at least $10', () => {
    expect(resumeMarginCents(0)).toBe(1_000);
    expect(resumeMarginCents(5_000)).toBe(1_000);
    expect(resumeMarginCents(10_000)).toBe(1_000);
    expect(resumeMarginCents(50_000)).toBe(5_000);
    expect(resumeMarginCents(50_005)).toBe(5_001); // 5,000.5 rounds up
    expect(resumeAtCents(50_000)).toBe(55_000);
  });

  it('pauses when the settled balance falls below the floor, not at it', () => {
    expect(
      planFloor({ balanceCents: 49_999, pendingCents: 0, floorCents: 50_000, adsPaused: false }),
    ).toEqual({
      action: 'pause',
      reason: 'below_floor',
    });
    expect(
      planFloor({ balanceCents: 50_000, pendingCents: 0, floorCents: 50_000, adsPaused: false }),
    ).toEqual({
      action: 'none',
    });
    // A $0 floor pauses once spend already incurred takes the balance below zero.
    expect(planFloor({ balanceCents: -1, pendingCents: 0, floorCents: 0, adsPaused: false })).toMatchObject({
      action: 'pause',
    });
  });

  it('does not flap: paused ads stay paused between the floor and floor + margin', () => {
    for (const balance of [50_000, 52_000, 54_999]) {
      expect(
        planFloor({ balanceCents: balance, pendingCents: 0, floorCents: 50_000, adsPaused: true }),
      ).toEqual({
        action: 'none',
      });
    }
    expect(planFloor({ balanceCents: 55_000, pendingCents: 0, floorCents: 50_000, adsPaused: true })).toEqual(
      {
        action: 'resume',
        reason: 'funded',
      },
    );
  });

  it('never resumes on pending money', () => {
    expect(
      planFloor({ balanceCents: 10_000, pendingCents: 1_000_000, floorCents: 50_000, adsPaused: true }),
    ).toEqual({
      action: 'none',
    });
    // …nor does pending money stop a pause.
    expect(
      planFloor({ balanceCents: 10_000, pendingCents: 1_000_000, floorCents: 50_000, adsPaused: false }),
    ).toEqual({
      action: 'pause',
      reason: 'below_floor',
    });
  });

  it('leaves running ads alone above the floor', () => {
    expect(
      planFloor({ balanceCents: 90_000, pendingCents: 0, floorCents: 50_000, adsPaused: false }),
    ).toEqual({
      action: 'none',
    });
  });
});
