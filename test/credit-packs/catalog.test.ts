import { describe, expect, it } from 'vitest';
import { CREDIT_PACKS, findPack, priceOf, type CreditPack } from '../../src/credit-packs/catalog';
import { DomainError } from '../../src/errors';

const pack = (listPriceCents: number): CreditPack => ({ id: 'x', credits: 1, listPriceCents });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`;
  }
  return undefined;
}

describe('credit pack catalog', () => {
  it('prices the 500-credit pack 18% below the smallest pack per credit (seeds 003)', () => {
    const smallest = CREDIT_PACKS.reduce((a, b) => (a.credits <= b.credits ? a : b));
    const five = findPack('pack_500');
    expect(five.credits).toBe(500);
    // Cross-multiplied so the comparison is exact: p500/500 = (1 - 0.18) · p_small/c_small.
    expect(five.listPriceCents * smallest.credits * 100).toBe(smallest.listPriceCents * five.credits * 82);
  });

  it('has unique ids, whole-cent prices, and a per-credit price that falls with size', () => {
    expect(new Set(CREDIT_PACKS.map((p) => p.id)).size).toBe(CREDIT_PACKS.length);
    const bySize = [...CREDIT_PACKS].sort((a, b) => a.credits - b.credits);
    for (const [i, p] of bySize.entries()) {
      expect(Number.isSafeInteger(p.listPriceCents) && p.listPriceCents > 0).toBe(true);
      const next = bySize[i + 1];
      if (next) expect(next.listPriceCents * p.credits).toBeLessThan(p.listPriceCents * next.credits);
    }
  });

  it.each([['pack_9'], [''], [undefined], [500], ['PACK_500']])('refuses unknown pack id %j', (id) => {
    expect(codeOf(() => findPack(id))).toBe('VALIDATION_FAILED');
  });
});

describe('priceOf', () => {
  it('applies the 20% Max/Generative/Team discount exactly to every catalog pack', () => {
    expect(CREDIT_PACKS.map((p) => priceOf(p, 2000).amountCents)).toEqual([800, 3280, 12000]);
    expect(priceOf(findPack('pack_500'), 2000)).toEqual({
      listPriceCents: 4100,
      discountBps: 2000,
      discountCents: 820,
      amountCents: 3280,
    });
  });

  it('charges the list price with no discount', () => {
    expect(priceOf(findPack('pack_100'), 0)).toMatchObject({ amountCents: 1000, discountCents: 0 });
  });

  it.each([
    // [list, bps, amount]: the discounted price is rounded down to the cent (the fraction goes to the customer)
    [999, 2000, 799], // 799.2
    [101, 5000, 50], // 50.5: half a cent is rounded down too
    [1, 1, 0], // 0.9999
    [10_001, 1, 9_999], // 9,999.9999
    [3, 3333, 2], // 2.0001
    [1, 10_000, 0],
    [1000, 10_000, 0],
    [900_719_925_474, 1, 900_629_853_481], // the largest list price that still discounts exactly
  ])('rounds %i cents at %i bps down to %i', (list, bps, amount) => {
    const price = priceOf(pack(list), bps);
    expect(price.amountCents).toBe(amount);
    expect(price.discountCents).toBe(list - amount);
  });

  it.each([[-1], [10_001], [0.5], [Number.NaN], ['2000' as unknown as number]])(
    'refuses discount %j',
    (bps) => {
      expect(codeOf(() => priceOf(findPack('pack_100'), bps))).toBe('VALIDATION_FAILED');
    },
  );

  it.each([[0], [-100], [1.5], [900_719_925_475], [Number.MAX_SAFE_INTEGER]])(
    'refuses list price %j',
    (list) => {
      expect(codeOf(() => priceOf(pack(list), 0))).toBe('VALIDATION_FAILED');
    },
  );
});
