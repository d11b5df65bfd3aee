import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time. A per-format ceiling on the actual cost a completion may charge: costs above the
 * estimate are charged in full (the seeds say so), but a pipeline bug must not bill a customer a billion
 * credits. NULL means the documented default, a multiple of the estimate (src/credits/ceiling.ts), so the
 * catalog needs a value only where a format is known to run long.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE generation_formats
      ADD COLUMN max_actual_credits bigint CHECK (max_actual_credits IS NULL OR max_actual_credits >= estimated_credits)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE generation_formats DROP COLUMN max_actual_credits`.execute(db);
}
