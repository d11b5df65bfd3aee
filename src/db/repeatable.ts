import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/** A script applied again whenever its text changes, e.g. a `CREATE OR REPLACE FUNCTION` file. */
export interface RepeatableScript {
  /** Its key in repeatable_migrations, e.g. `functions/credits_reserve.sql`. */
  name: string;
  sql: string;
}

/**
 * Held for the transaction by every migrateToLatest after its versioned migrations, so two processes
 * migrating at once apply the repeatable scripts and the seed one after the other; the second then finds
 * the hashes the first recorded and applies nothing. A fixed, arbitrary number of this project's own.
 */
export const REPEATABLE_LOCK_ID = 7_241_190_318_004n;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs against no schema, like the migrations
type AnyDb = Kysely<any>;

/** Call first in the transaction that then calls applyRepeatable and applySeed. */
export async function lockRepeatable(trx: AnyDb): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${REPEATABLE_LOCK_ID.toString()}::bigint)`.execute(trx);
  // Created here rather than by a versioned migration, like Kysely's own kysely_migration table: it is
  // the bookkeeping of this step, not part of the application's schema. Under the lock, so two first
  // runs never race on it.
  await sql`
    CREATE TABLE IF NOT EXISTS repeatable_migrations (
      name text PRIMARY KEY,
      sha256 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(trx);
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Applies, in the given order, each script whose SHA-256 differs from the one recorded for its name (or
 * that has none recorded), and records the new hash. Returns the names applied. Must run inside the
 * transaction that took lockRepeatable, so a failing script leaves neither its change nor its hash.
 */
export async function applyRepeatable(trx: AnyDb, scripts: readonly RepeatableScript[]): Promise<string[]> {
  const { rows } = await sql<{ name: string; sha256: string }>`
    SELECT name, sha256 FROM repeatable_migrations
  `.execute(trx);
  const recorded = new Map(rows.map((r) => [r.name, r.sha256]));
  const applied: string[] = [];
  for (const script of scripts) {
    const hash = sha256(script.sql);
    if (recorded.get(script.name) === hash) continue;
    try {
      // No parameters, so pg sends it as one simple query: a file may hold several statements (a DROP
      // of an old signature before its CREATE OR REPLACE).
      await sql.raw(script.sql).execute(trx);
    } catch (err) {
      throw new Error(`repeatable migration ${script.name} failed: ${String(err)}`, { cause: err });
    }
    await sql`
      INSERT INTO repeatable_migrations (name, sha256) VALUES (${script.name}, ${hash})
      ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, applied_at = now()
    `.execute(trx);
    applied.push(script.name);
  }
  return applied;
}
