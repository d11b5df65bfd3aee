import type { GenerationFormat } from '../../credits/formats';
import type { GenerationFormatsTable, TiersTable } from '../schema';

/**
 * The product catalog: the tiers and the generation formats' estimates. The source of truth from now
 * on: migrateToLatest writes these rows (src/db/seed/apply.ts) after every migration, so a changed price
 * or estimate is a diff of this file. The first migration inserted the same rows once; it is frozen and
 * stays as it was.
 *
 * The seeds (003_*): Plus, Max 400, Generative 900, Team 6,000; Max, Generative and Team get 20% off
 * packs; monthly credits roll over for 30 days. 'pro' (1,000) is the tier of the GET /v1/credits
 * reference example. Plus's allowance is not in the seeds: 100 is our choice. 'free' has no allowance and
 * no overage, so its shortfalls are written off instead of billed.
 *
 * Rollover (DESIGN.md §7): paid tiers carry unused included credits over for 30 days, at most one
 * allowance (rollover_cap); free carries nothing over.
 */
export const TIERS: readonly TiersTable[] = [
  {
    id: 'free',
    name: 'Free',
    included_credits_per_period: 0,
    overage_allowed: false,
    pack_discount_bps: 0,
    rollover_days: 0,
    rollover_cap: 0,
  },
  {
    id: 'plus',
    name: 'Plus',
    included_credits_per_period: 100,
    overage_allowed: true,
    pack_discount_bps: 0,
    rollover_days: 30,
    rollover_cap: 100,
  },
  {
    id: 'pro',
    name: 'Pro',
    included_credits_per_period: 1000,
    overage_allowed: true,
    pack_discount_bps: 0,
    rollover_days: 30,
    rollover_cap: 1000,
  },
  {
    id: 'max',
    name: 'Max',
    included_credits_per_period: 400,
    overage_allowed: true,
    pack_discount_bps: 2000,
    rollover_days: 30,
    rollover_cap: 400,
  },
  {
    id: 'generative',
    name: 'Generative',
    included_credits_per_period: 900,
    overage_allowed: true,
    pack_discount_bps: 2000,
    rollover_days: 30,
    rollover_cap: 900,
  },
  {
    id: 'team',
    name: 'Team',
    included_credits_per_period: 6000,
    overage_allowed: true,
    pack_discount_bps: 2000,
    rollover_days: 30,
    rollover_cap: 6000,
  },
];

/**
 * Keyed by GenerationFormat, so a format added to src/credits/formats.ts without an estimate here does
 * not compile. max_actual_credits NULL: the default ceiling, a multiple of the estimate
 * (src/credits/ceiling.ts).
 */
export const GENERATION_FORMAT_ROWS: Readonly<
  Record<GenerationFormat, Omit<GenerationFormatsTable, 'format'>>
> = {
  slideshow_builder: { estimated_credits: 50, max_actual_credits: null },
  slideshow_remix: { estimated_credits: 50, max_actual_credits: null },
  video_remix: { estimated_credits: 120, max_actual_credits: null },
  ugc_remix: { estimated_credits: 120, max_actual_credits: null },
  auto: { estimated_credits: 120, max_actual_credits: null },
};
