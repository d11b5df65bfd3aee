import { describe, expect, it } from 'vitest';
import { mulDivRound } from '../../src/billing/rounding';

describe('mulDivRound: nearest, halves away from zero', () => {
  it('rounds halves away from zero, on both sides (Math.round would give -2 for -2.5)', () => {
    expect(mulDivRound(5, 1, 2)).toBe(3);
    expect(mulDivRound(-5, 1, 2)).toBe(-3);
    expect(mulDivRound(5, 1, -2)).toBe(-3);
    expect(mulDivRound(1, 1, 2)).toBe(1);
    expect(mulDivRound(-1, 1, 2)).toBe(-1);
  });

  it('rounds non-halves to the nearest', () => {
    expect(mulDivRound(1, 1, 3)).toBe(0);
    expect(mulDivRound(2, 1, 3)).toBe(1);
    expect(mulDivRound(-2, 1, 3)).toBe(-1);
    expect(mulDivRound(0, 7, 3)).toBe(0);
    expect(Object.is(mulDivRound(-1, 1, 3), -0)).toBe(false);
  });

  it('is exact where a × b is far beyond 2^53', () => {
    // 359,280¢ (a year of team) × a year of seconds, over that year: the price itself.
    expect(mulDivRound(359_280, 31_536_000, 31_536_000)).toBe(359_280);
    expect(mulDivRound(Number.MAX_SAFE_INTEGER, 3, 3)).toBe(Number.MAX_SAFE_INTEGER);
    expect(mulDivRound(Number.MAX_SAFE_INTEGER, 1_000_003, 2_000_006)).toBe(4_503_599_627_370_496);
  });

  it('meets its definition on a grid: |2ab − 2rc| ≤ |c|, ties going away from zero', () => {
    for (let a = -40; a <= 40; a += 3) {
      for (let b = 1; b <= 29; b += 2) {
        for (let c = 1; c <= 24; c++) {
          const r = mulDivRound(a, b, c);
          const gap = Math.abs(2 * a * b - 2 * r * c);
          expect(gap).toBeLessThanOrEqual(c);
          if (gap === c) expect(Math.abs(r)).toBeGreaterThan(Math.abs((a * b) / c));
        }
      }
    }
  });

  it('refuses what it cannot compute exactly', () => {
    expect(() => mulDivRound(1, 1, 0)).toThrow(RangeError);
    expect(() => mulDivRound(0.5, 1, 1)).toThrow(RangeError);
    expect(() => mulDivRound(Number.MAX_SAFE_INTEGER, 4, 1)).toThrow(RangeError);
  });
});
