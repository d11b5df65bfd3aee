import type { TierId } from '../../billing/tiers';
import type { GenerationFormat } from '../../credits/formats';
import type { UsageMetric } from '../../invoices/usage-metrics';
import type { UsageAllowancesTable } from '../../invoices/usage-tables';
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

/**
 * Usage allowances per tier and credit period, and the price of usage beyond them (the usage_allowances
 * table; src/invoices/usage-rules.ts bills it). Seed 000 names the metrics ("workflow runs, SDK events,
 * media storage") and says usage over the allowance is invoiced; it gives no numbers, so these are our
 * choice, set like the price table (src/billing/prices.ts): allowances rise with the tier's rank, unit
 * prices never do. media_storage_gb is peak storage in whole GB. Free's usage beyond its allowance is not
 * billed (unit_cents null), as its credit shortfalls are written off rather than billed.
 *
 * | tier       | workflow runs | over, per run | SDK events | over, per 1,000 | storage (GB) | over, per GB |
 * |------------|---------------|---------------|------------|-----------------|--------------|--------------|
 * | free       | 100           | —             | 10,000     | —               | 1            | —            |
 * | plus       | 1,000         | 2¢            | 100,000    | 10¢             | 10           | 25¢          |
 * | max        | 5,000         | 2¢            | 500,000    | 8¢              | 50           | 20¢          |
 * | generative | 10,000        | 1¢            | 1,000,000  | 8¢              | 100          | 20¢          |
 * | pro        | 10,000        | 1¢            | 1,000,000  | 8¢              | 100          | 20¢          |
 * | team       | 50,000        | 1¢            | 10,000,000 | 5¢              | 1,000        | 15¢          |
 *
 * Keyed by tier and metric, so a tier or a metric added without its allowances does not compile.
 */
type AllowanceRow = Omit<UsageAllowancesTable, 'tier_id' | 'metric'>;
const allowances = (
  runs: number,
  runCents: number | null,
  events: number,
  per1000Cents: number | null,
  gb: number,
  gbCents: number | null,
): Record<UsageMetric, AllowanceRow> => ({
  workflow_runs: { included: runs, unit_size: 1, unit_cents: runCents },
  sdk_events: { included: events, unit_size: 1_000, unit_cents: per1000Cents },
  media_storage_gb: { included: gb, unit_size: 1, unit_cents: gbCents },
});

export const USAGE_ALLOWANCES: Readonly<Record<TierId, Readonly<Record<UsageMetric, AllowanceRow>>>> = {
  free: allowances(100, null, 10_000, null, 1, null),
  plus: allowances(1_000, 2, 100_000, 10, 10, 25),
  max: allowances(5_000, 2, 500_000, 8, 50, 20),
  generative: allowances(10_000, 1, 1_000_000, 8, 100, 20),
  pro: allowances(10_000, 1, 1_000_000, 8, 100, 20),
  team: allowances(50_000, 1, 10_000_000, 5, 1_000, 15),
};

/** USAGE_ALLOWANCES as the table's rows. */
export const usageAllowanceRows = (): UsageAllowancesTable[] =>
  Object.entries(USAGE_ALLOWANCES).flatMap(([tier_id, byMetric]) =>
    Object.entries(byMetric).map(([metric, row]) => ({ tier_id, metric: metric as UsageMetric, ...row })),
  );
