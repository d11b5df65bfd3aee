const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Credits are whole numbers, shown with grouping: 5400 -> "5,400". */
export function formatCredits(credits: number): string {
  return INTEGER.format(credits);
}

/** A signed move: "+100", "-35", "0". */
export function formatSignedCredits(credits: number): string {
  return credits > 0 ? `+${INTEGER.format(credits)}` : INTEGER.format(credits);
}

export function formatInteger(n: number): string {
  return INTEGER.format(n);
}

/** Sums whole numbers, refusing anything that is not. */
export function sumIntegers(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a whole number: ${v}`);
    total += v;
  }
  return total;
}
