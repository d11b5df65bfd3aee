import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { functionScripts } from './functions/index';
import { migrations } from './migrations/index';
import { applyRepeatable, lockRepeatable } from './repeatable';
import { applySeed } from './seed/apply';

/**
 * Brings a database up to date in three steps: the versioned migrations (schema, frozen once shipped),
 * then the database functions of src/db/functions/ whose text changed since they were last applied
 * (a repeatable migration, recorded with its hash in repeatable_migrations), then the catalog seed. The
 * last two run in one transaction under an advisory lock. Returns what it applied: migration names, then
 * `functions/<name>.sql`, then `seed/<table>` for a seed table whose rows changed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are typed against no schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const versioned = await migrateVersioned(db);
  const repeatable = await db.transaction().execute(async (trx) => {
    await lockRepeatable(trx);
    return [...(await applyRepeatable(trx, functionScripts())), ...(await applySeed(trx))];
  });
  return [...versioned, ...repeatable];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are typed against no schema
async function migrateVersioned(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
