import type { Db } from './pool';

/**
 * Runs `run` in a transaction: the caller's when `db` already is one, else a new one. Lets a module's
 * multi-statement write join a larger transaction (e.g. the audit row that records it, src/audit/trail.ts)
 * and still stand alone; Kysely refuses to nest transaction() itself.
 */
export function inTransaction<T>(db: Db, run: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
