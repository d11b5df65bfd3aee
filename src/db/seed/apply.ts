import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import { GENERATION_FORMAT_ROWS, TIERS, usageAllowanceRows } from './catalog';

/**
 * Writes the catalog (./catalog.ts) with INSERT … ON CONFLICT DO UPDATE, touching only rows that differ:
 * DO NOTHING would leave every existing database on the old values, so the file would not be the source
 * of truth; an unconditional DO UPDATE would rewrite (and lock) every tier row on every start. With the
 * IS DISTINCT FROM guard, a database that already holds these values — every one the first migration
 * seeded — is left untouched. Rows not in the catalog are left alone: organizations may still reference
 * a retired tier. Returns the tables it changed, for migrateToLatest's report.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- called with the migrator's untyped Kysely
export async function applySeed(trx: Kysely<any>): Promise<string[]> {
  const db = trx as Kysely<Database>;
  const tiers = await db
    .insertInto('tiers')
    .values([...TIERS])
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          included_credits_per_period: eb.ref('excluded.included_credits_per_period'),
          overage_allowed: eb.ref('excluded.overage_allowed'),
          pack_discount_bps: eb.ref('excluded.pack_discount_bps'),
          rollover_days: eb.ref('excluded.rollover_days'),
          rollover_cap: eb.ref('excluded.rollover_cap'),
        }))
        .where(
          sql<boolean>`(tiers.name, tiers.included_credits_per_period, tiers.overage_allowed,
            tiers.pack_discount_bps, tiers.rollover_days, tiers.rollover_cap)
            IS DISTINCT FROM (excluded.name, excluded.included_credits_per_period, excluded.overage_allowed,
            excluded.pack_discount_bps, excluded.rollover_days, excluded.rollover_cap)`,
        ),
    )
    .executeTakeFirst();
  const formats = await db
    .insertInto('generation_formats')
    .values(Object.entries(GENERATION_FORMAT_ROWS).map(([format, row]) => ({ format, ...row })))
    .onConflict((oc) =>
      oc
        .column('format')
        .doUpdateSet((eb) => ({
          estimated_credits: eb.ref('excluded.estimated_credits'),
          max_actual_credits: eb.ref('excluded.max_actual_credits'),
        }))
        .where(
          sql<boolean>`(generation_formats.estimated_credits, generation_formats.max_actual_credits)
            IS DISTINCT FROM (excluded.estimated_credits, excluded.max_actual_credits)`,
        ),
    )
    .executeTakeFirst();
  // After the tiers: each row names its tier.
  const allowances = await db
    .insertInto('usage_allowances')
    .values(usageAllowanceRows())
    .onConflict((oc) =>
      oc
        .columns(['tier_id', 'metric'])
        .doUpdateSet((eb) => ({
          included: eb.ref('excluded.included'),
          unit_size: eb.ref('excluded.unit_size'),
          unit_cents: eb.ref('excluded.unit_cents'),
        }))
        .where(
          sql<boolean>`(usage_allowances.included, usage_allowances.unit_size, usage_allowances.unit_cents)
            IS DISTINCT FROM (excluded.included, excluded.unit_size, excluded.unit_cents)`,
        ),
    )
    .executeTakeFirst();
  return [
    ...(tiers.numInsertedOrUpdatedRows ? ['seed/tiers'] : []),
    ...(formats.numInsertedOrUpdatedRows ? ['seed/generation_formats'] : []),
    ...(allowances.numInsertedOrUpdatedRows ? ['seed/usage_allowances'] : []),
  ];
}
