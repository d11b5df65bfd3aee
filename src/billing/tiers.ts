import { TIERS } from '../db/seed/catalog';
import { DomainError } from '../errors';

/**
 * The tiers in rank order, lowest first: a move to a later tier is an upgrade. The order follows the
 * catalog's allowances (free 0, plus 100, max 400, generative 900, pro 1,000, team 6,000), and the
 * price table (./prices.ts) rises along it; test/billing/prices.test.ts holds both to this order, so
 * a tier added to the catalog must be placed here too.
 */
export const TIER_IDS = ['free', 'plus', 'max', 'generative', 'pro', 'team'] as const;
export type TierId = (typeof TIER_IDS)[number];

export const isTierId = (value: unknown): value is TierId =>
  typeof value === 'string' && (TIER_IDS as readonly string[]).includes(value);

/** An unknown tier is the caller's mistake (400, like an unknown pack), naming the ones that exist. */
export function requireTier(value: unknown, field = 'tier'): TierId {
  if (!isTierId(value)) {
    throw new DomainError('VALIDATION_FAILED', `${field}: unknown tier ${String(value)}`, {
      field,
      tiers: [...TIER_IDS],
    });
  }
  return value;
}

export const tierRank = (tier: TierId): number => TIER_IDS.indexOf(tier);

/** What the catalog (src/db/seed/catalog.ts, the source of truth for allowances) says about a tier. */
export interface TierFacts {
  id: TierId;
  name: string;
  includedCredits: number;
  overageAllowed: boolean;
  rolloverDays: number;
}

const FACTS: Readonly<Record<TierId, TierFacts>> = Object.freeze(
  Object.fromEntries(
    TIER_IDS.map((id) => {
      const row = TIERS.find((t) => t.id === id);
      // A tier ranked here but missing from the catalog is a build mistake: fail at load, not mid-period.
      if (!row) throw new Error(`tier ${id} is ranked in src/billing/tiers.ts but not in the catalog`);
      const facts: TierFacts = {
        id,
        name: row.name,
        includedCredits: row.included_credits_per_period,
        overageAllowed: row.overage_allowed,
        rolloverDays: row.rollover_days,
      };
      return [id, Object.freeze(facts)];
    }),
  ) as Record<TierId, TierFacts>,
);

export const tierFacts = (tier: TierId): TierFacts => FACTS[tier];
