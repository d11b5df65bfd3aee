import { invalid } from '../errors';

/**
 * The largest credit amount one operation accepts. Far above any real generation or pack, and small
 * enough that balances summed from millions of such operations stay exact in a JS number (< 2^53).
 */
export const MAX_CREDITS_PER_OPERATION = 1_000_000_000;

/**
 * Accepts only a whole number of credits in [min, MAX_CREDITS_PER_OPERATION]. Strings, fractions, NaN,
 * negatives and absurdly large values are refused with VALIDATION_FAILED naming the field.
 */
export function requireCredits(field: string, value: unknown, { min = 1 }: { min?: 0 | 1 } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a number');
  if (!Number.isInteger(value)) throw invalid(field, 'must be a whole number of credits');
  if (value < min) throw invalid(field, min === 0 ? 'must not be negative' : 'must be at least 1');
  if (value > MAX_CREDITS_PER_OPERATION) throw invalid(field, `must be at most ${MAX_CREDITS_PER_OPERATION}`);
  return value;
}

export function requireNonEmpty(field: string, value: unknown, maxLength = 200): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'must be a non-empty string');
  if (value.length > maxLength) throw invalid(field, `must be at most ${maxLength} characters`);
  return value;
}
