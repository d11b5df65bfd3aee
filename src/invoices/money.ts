/**
 * Money as people read it, from integer cents. Every amount must be a safe integer (|cents| ≤ 2^53 − 1,
 * about $90 trillion): anything else — a fraction, NaN, a number past 2^53 that may already have lost
 * cents — is refused with a RangeError rather than printed wrong.
 *
 * The decimal is built from the integer in BigInt and handed to Intl.NumberFormat as a string, which it
 * formats exactly (ECMA-402 NumberFormat v3); dividing by 100 in floating point would misprint cents above
 * about $45 billion.
 */

function requireCents(cents: number): number {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents: must be a safe integer, got ${cents}`);
  return cents;
}

/** `-1234` → `"-12.34"`; `0` (and -0) → `"0.00"`. No grouping, no symbol: what a spreadsheet parses. */
export function decimalAmount(cents: number): string {
  const c = BigInt(requireCents(cents));
  const abs = c < 0n ? -c : c;
  return `${c < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/**
 * The finance convention: negatives in parentheses (accounting format), so that a credit stands out in a
 * column of amounts and is never mistaken for a charge by a dropped minus sign: `$1,234.56`, `($12.00)`,
 * `$0.00`.
 */
const usd = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  currencySign: 'accounting',
});

export const formatUsd = (cents: number): string => usd.format(decimalAmount(cents) as `${number}`);

/** Whole numbers with grouping: quantities and credits (`12,500`). */
const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`quantity: must be a safe integer, got ${n}`);
  return count.format(n);
}
