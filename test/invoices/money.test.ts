import { describe, expect, it } from 'vitest';
import { decimalAmount, formatCount, formatUsd } from '../../src/invoices/money';

describe('formatUsd: accounting format, exact for every safe integer of cents', () => {
  it('prints zero, a cent and whole dollars', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-0)).toBe('$0.00');
    expect(formatUsd(1)).toBe('$0.01');
    expect(formatUsd(99)).toBe('$0.99');
    expect(formatUsd(100)).toBe('$1.00');
    expect(formatUsd(123_456)).toBe('$1,234.56');
  });

  it('puts negatives in parentheses, the finance convention', () => {
    expect(formatUsd(-1)).toBe('($0.01)');
    expect(formatUsd(-1_200)).toBe('($12.00)');
    expect(formatUsd(-123_456_789)).toBe('($1,234,567.89)');
  });

  it('groups large amounts and keeps every cent up to 2^53 − 1', () => {
    expect(formatUsd(100_000_000)).toBe('$1,000,000.00');
    expect(formatUsd(99_999_999_999)).toBe('$999,999,999.99');
    expect(formatUsd(Number.MAX_SAFE_INTEGER)).toBe('$90,071,992,547,409.91');
    expect(formatUsd(-Number.MAX_SAFE_INTEGER)).toBe('($90,071,992,547,409.91)');
    // Where cents / 100 in floating point would already be off: 90071992547408.99 is not a double.
    expect(formatUsd(9_007_199_254_740_899)).toBe('$90,071,992,547,408.99');
  });

  it('refuses what is not a safe integer of cents rather than print it wrong', () => {
    for (const bad of [0.5, -1.25, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 2 ** 60]) {
      expect(() => formatUsd(bad), String(bad)).toThrow(RangeError);
      expect(() => decimalAmount(bad), String(bad)).toThrow(RangeError);
    }
  });
});

describe('decimalAmount: what a spreadsheet parses', () => {
  it('has no symbol, no grouping, a minus sign and two decimals', () => {
    expect(decimalAmount(0)).toBe('0.00');
    expect(decimalAmount(-0)).toBe('0.00');
    expect(decimalAmount(1)).toBe('0.01');
    expect(decimalAmount(-1)).toBe('-0.01');
    expect(decimalAmount(123_456)).toBe('1234.56');
    expect(decimalAmount(-1_200)).toBe('-12.00');
    expect(decimalAmount(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91');
  });

  it('reads back to the same cents', () => {
    for (const cents of [0, 1, -1, 5, 10, 99, 101, -12_345, 100_000_000, 9_007_199_254_740_899]) {
      const [whole, frac] = decimalAmount(Math.abs(cents)).split('.');
      expect(BigInt(whole!) * 100n + BigInt(frac!)).toBe(BigInt(Math.abs(cents)));
    }
  });
});

describe('formatCount', () => {
  it('groups whole numbers and refuses fractions', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(12_500)).toBe('12,500');
    expect(() => formatCount(1.5)).toThrow(RangeError);
  });
});
