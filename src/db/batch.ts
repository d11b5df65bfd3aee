import { CompiledQuery } from 'kysely';
import type { Db } from './pool';

/** Keys per statement at most; lookups beyond it start the next batch (sent in the same turn). */
export const MAX_BATCH_KEYS = 256;

interface Batch<Row> {
  waiters: Map<string, Array<{ resolve: (row: Row | undefined) => void; reject: (err: unknown) => void }>>;
}

/**
 * Lookups of single rows by key, batched: every lookup asked for during one turn of the event loop is
 * answered by one execution of `statement`, which takes the array of their distinct keys as $1
 * (`... WHERE key = ANY($1::text[])`) and returns at most one row per key. Under load one round trip then
 * serves every request that arrived together, instead of one round trip (one socket write, one statement
 * for PostgreSQL) per request; a lookup on an idle server waits only for the end of the current turn.
 *
 * Nothing is cached: the statement is sent after every lookup of its batch was asked for, so its answer
 * is never older than the one a lookup of its own would have got (a key disabled before a request
 * arrives is seen disabled by that request).
 */
export function batchedLookup<Row>(
  statement: string,
  keyOf: (row: Row) => string,
): (db: Db, key: string) => Promise<Row | undefined> {
  const pending = new WeakMap<Db, Batch<Row>>();

  function flush(db: Db, batch: Batch<Row>): void {
    if (pending.get(db) === batch) pending.delete(db);
    const { waiters } = batch;
    db.executeQuery<Row>(CompiledQuery.raw(statement, [[...waiters.keys()]])).then(
      ({ rows }) => {
        const byKey = new Map(rows.map((row) => [keyOf(row), row]));
        for (const [key, list] of waiters) for (const w of list) w.resolve(byKey.get(key));
      },
      (err: unknown) => {
        for (const list of waiters.values()) for (const w of list) w.reject(err);
      },
    );
  }

  return (db, key) =>
    new Promise((resolve, reject) => {
      let batch = pending.get(db);
      if (!batch) {
        const created: Batch<Row> = { waiters: new Map() };
        pending.set(db, created);
        // After the I/O callbacks of this turn: every request read from the sockets in it has asked.
        setImmediate(() => flush(db, created));
        batch = created;
      }
      const list = batch.waiters.get(key);
      if (list) list.push({ resolve, reject });
      else batch.waiters.set(key, [{ resolve, reject }]);
      if (batch.waiters.size === MAX_BATCH_KEYS) pending.delete(db);
    });
}
