/**
 * The one rounding rule for every amount billing derives from a ratio (yearly prices, proration lines):
 * to the nearest whole cent, halves away from zero (0.5¢ → 1¢, −0.5¢ → −1¢), which is how Stripe rounds
 * proration. The product a × b is formed in BigInt, so a price times a year of seconds never passes
 * through a float and rounds the same on every machine.
 */
export function mulDivRound(a: number, b: number, c: number): number {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${name}: must be a safe integer`);
  }
  if (c === 0) throw new RangeError('c: must not be zero');
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const negative = n < 0n !== d < 0n;
  const absN = n < 0n ? -n : n;
  const absD = d < 0n ? -d : d;
  // floor((2|n| + |d|) / 2|d|) = round-half-up of |n|/|d|; the sign goes back on afterwards.
  const q = (2n * absN + absD) / (2n * absD);
  const result = Number(negative ? -q : q);
  if (!Number.isSafeInteger(result)) throw new RangeError('result is not a safe integer');
  return result;
}
