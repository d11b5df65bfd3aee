import { DomainError, invalid } from '../errors';

/**
 * Prepaid credit packs and their prices: pure functions, shared by the purchase client (which snapshots
 * the price into the purchase row) and the tests.
 *
 * The seeds (003_*) fix two facts: "Buying a 500 credit pack drops the per-credit price by 18%" and
 * "Max, Generative and Team enjoy a permanent 20% discount on every pack" (tiers.pack_discount_bps =
 * 2000). The rest is our choice: the smallest pack is 100 credits for $10.00 (10¢ a credit), so the
 * 500-credit pack is 500 × 8.2¢ = $41.00, exactly 18% less per credit; the 2,000-credit pack at $150.00
 * (7.5¢, 25% less) continues the volume ladder. Every price is a whole number of cents.
 */

export interface CreditPack {
  id: string;
  credits: number;
  /** The price before any tier discount, in US cents. */
  listPriceCents: number;
}

export const CREDIT_PACKS: readonly CreditPack[] = Object.freeze([
  { id: 'pack_100', credits: 100, listPriceCents: 1_000 },
  { id: 'pack_500', credits: 500, listPriceCents: 4_100 },
  { id: 'pack_2000', credits: 2_000, listPriceCents: 15_000 },
]);

/** The pack with this id; an unknown id is the caller's mistake (400), not a missing resource. */
export function findPack(packId: unknown): CreditPack {
  const pack = typeof packId === 'string' ? CREDIT_PACKS.find((p) => p.id === packId) : undefined;
  if (!pack) {
    throw new DomainError('VALIDATION_FAILED', `packId: unknown credit pack ${String(packId)}`, {
      field: 'packId',
      packIds: CREDIT_PACKS.map((p) => p.id),
    });
  }
  return pack;
}

export interface PackPrice {
  listPriceCents: number;
  discountBps: number;
  discountCents: number;
  /** What the customer pays: listPriceCents - discountCents. */
  amountCents: number;
}

const BPS = 10_000;

/**
 * The price of `pack` with a tier discount in basis points (0-10,000).
 *
 * Rounding rule (the only one): the discounted price is rounded DOWN to the whole cent, i.e. any
 * fraction of a cent goes to the customer. Integer arithmetic only, with list × (10,000 − bps) kept
 * below 2^53, so the result is exact.
 */
export function priceOf(pack: CreditPack, tierDiscountBps: number): PackPrice {
  const list = pack.listPriceCents;
  if (!Number.isSafeInteger(list) || list <= 0 || list > Number.MAX_SAFE_INTEGER / BPS) {
    throw invalid(
      'listPriceCents',
      'must be a positive whole number of cents small enough to discount exactly',
    );
  }
  if (!Number.isInteger(tierDiscountBps) || tierDiscountBps < 0 || tierDiscountBps > BPS) {
    throw invalid('tierDiscountBps', 'must be a whole number of basis points between 0 and 10000');
  }
  const scaled = list * (BPS - tierDiscountBps);
  // Exact floor division: subtract the remainder first so the quotient is a whole number, not a float.
  const amountCents = (scaled - (scaled % BPS)) / BPS;
  return {
    listPriceCents: list,
    discountBps: tierDiscountBps,
    discountCents: list - amountCents,
    amountCents,
  };
}
