/**
 * Money is integer cents from the API to the screen: sums are integer sums, and a value is formatted once,
 * at the end, from an exact decimal string (Intl formats a string without going through a float), so a
 * page never shows a cent the API does not have.
 */

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function requireCents(cents: number): void {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
}

/** `-123456` -> `"-1234.56"`, exactly. */
export function centsToDecimal(cents: number): string {
  requireCents(cents);
  const abs = Math.abs(cents);
  const fraction = abs % 100;
  const dollars = (abs - fraction) / 100;
  return `${cents < 0 ? '-' : ''}${dollars}.${String(fraction).padStart(2, '0')}`;
}

/** `123456` -> `"$1,234.56"`; negatives `"-$12.00"`. */
export function formatCents(cents: number): string {
  return USD.format(centsToDecimal(cents) as `${number}`);
}

/** Sums cents as integers, refusing anything that is not. */
export function sumCents(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) {
    requireCents(v);
    total += v;
  }
  requireCents(total);
  return total;
}

/**
 * What a person types as dollars (`"250"`, `"1,250.5"`, `"$10.00"`) as whole cents, read as text so that
 * no float ever rounds it; null when it is not an amount with at most two decimals.
 */
export function parseDollars(input: string): number | null {
  const text = input.trim().replace(/^\$/, '').replace(/,/g, '');
  const match = /^(\d{1,13})(?:\.(\d{0,2}))?$/.exec(text);
  if (!match) return null;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : null;
}

/** Basis points as a percentage: 500 -> "5%", 290 -> "2.9%". */
export function formatBps(bps: number): string {
  return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(bps / 100)}%`;
}
