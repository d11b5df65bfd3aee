import type { Db } from '../db/pool';
import { notFound } from '../errors';
import { CREDIT_PACKS, priceOf, type PackPrice } from './catalog';

/**
 * What each pack costs one org now: the catalog priced with its tier's pack discount. The purchase
 * (./purchases.ts) reads the discount through the same function and prices with the same rule, so
 * the price GET /v1/credit-packs lists is the price POST /v1/credit-packs charges.
 */

export interface OrgPackPrice extends PackPrice {
  packId: string;
  credits: number;
}

/** The org's tier discount on every pack, in basis points; NOT_FOUND for an org that does not exist. */
export async function packDiscountBpsOf(db: Db, orgId: string): Promise<number> {
  const org = await db
    .selectFrom('organizations')
    .innerJoin('tiers', 'tiers.id', 'organizations.tier_id')
    .select('tiers.pack_discount_bps')
    .where('organizations.id', '=', orgId)
    .executeTakeFirst();
  if (!org) throw notFound('organization', orgId);
  return org.pack_discount_bps;
}

/** Every pack of the catalog, in catalog order, at the org's price. */
export async function packPricesFor(db: Db, orgId: string): Promise<OrgPackPrice[]> {
  const discountBps = await packDiscountBpsOf(db, orgId);
  return CREDIT_PACKS.map((pack) => ({
    packId: pack.id,
    credits: pack.credits,
    ...priceOf(pack, discountBps),
  }));
}
