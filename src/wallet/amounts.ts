import { invalid } from '../errors';

/**
 * The largest amount one wallet operation accepts: $10,000,000. Far above any top-up or platform bill,
 * and small enough that balances summed from millions of such operations stay exact in a JS number
 * (< 2^53) and that cents × basis points stays exact too (1e9 × 1e4 = 1e13).
 */
export const MAX_CENTS_PER_OPERATION = 1_000_000_000;

/**
 * Accepts only a whole number of cents in [min, MAX_CENTS_PER_OPERATION]. Strings, fractions (a dollar
 * amount sent as 12.5), NaN, negatives and absurd values are refused with VALIDATION_FAILED naming the
 * field.
 */
export function requireCents(field: string, value: unknown, { min = 1 }: { min?: 0 | 1 } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a number of cents');
  if (!Number.isInteger(value)) throw invalid(field, 'must be a whole number of cents');
  if (value < min) throw invalid(field, min === 0 ? 'must not be negative' : 'must be at least 1 cent');
  if (value > MAX_CENTS_PER_OPERATION)
    throw invalid(field, `must be at most ${MAX_CENTS_PER_OPERATION} cents`);
  return value;
}

/** Basis points: a whole number in [0, 10000] (0% to 100%). */
export function requireBps(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
    throw invalid(field, 'must be a whole number of basis points between 0 and 10000');
  }
  return value;
}
