import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedLookup, MAX_BATCH_KEYS } from '../../src/db/batch';
import { preparedStatement, type Db } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

/** A Db that answers `SELECT ... WHERE key = ANY($1)` from a table in memory, recording each call. */
function fakeDb(table: Record<string, number>) {
  const fake = { db: undefined as unknown as Db, calls: [] as unknown[][], fail: false };
  fake.db = {
    async executeQuery(query: CompiledQuery) {
      fake.calls.push([...query.parameters]);
      if (fake.fail) throw new Error('connection lost');
      const keys = query.parameters[0] as string[];
      return { rows: keys.filter((k) => k in table).map((k) => ({ key: k, value: table[k] })) };
    },
  } as unknown as Db;
  return fake;
}

describe('batchedLookup', () => {
  const lookup = batchedLookup<{ key: string; value: number }>('unused', (row) => row.key);

  it('answers the lookups of one turn with one statement over their distinct keys', async () => {
    const { db, calls } = fakeDb({ a: 1, b: 2 });
    const results = await Promise.all([lookup(db, 'a'), lookup(db, 'b'), lookup(db, 'zz'), lookup(db, 'a')]);
    expect(results).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      undefined,
      { key: 'a', value: 1 },
    ]);
    expect(calls).toEqual([[['a', 'b', 'zz']]]);
  });

  it('sends a lookup asked for after a statement went out in a statement of its own', async () => {
    const { db, calls } = fakeDb({ a: 1 });
    expect(await lookup(db, 'a')).toEqual({ key: 'a', value: 1 });
    expect(await lookup(db, 'a')).toEqual({ key: 'a', value: 1 });
    expect(calls).toEqual([[['a']], [['a']]]);
  });

  it(`sends at most ${MAX_BATCH_KEYS} keys per statement`, async () => {
    const keys = Array.from({ length: MAX_BATCH_KEYS * 2 + 1 }, (_, i) => `k${i}`);
    const fake = fakeDb(Object.fromEntries(keys.map((k, i) => [k, i])));
    const results = await Promise.all(keys.map((k) => lookup(fake.db, k)));
    expect(results.map((r) => r?.value)).toEqual(keys.map((_, i) => i));
    expect(fake.calls.map(([sent]) => (sent as string[]).length)).toEqual([
      MAX_BATCH_KEYS,
      MAX_BATCH_KEYS,
      1,
    ]);
  });

  it('keeps the batches of different databases apart', async () => {
    const one = fakeDb({ a: 1 });
    const two = fakeDb({ a: 2 });
    expect(await Promise.all([lookup(one.db, 'a'), lookup(two.db, 'a')])).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: 2 },
    ]);
    expect([one.calls.length, two.calls.length]).toEqual([1, 1]);
  });

  it('fails every lookup of a failed statement, and the next batch starts afresh', async () => {
    const fake = fakeDb({ a: 1 });
    fake.fail = true;
    const settled = await Promise.allSettled([lookup(fake.db, 'a'), lookup(fake.db, 'b')]);
    expect(settled).toEqual([
      { status: 'rejected', reason: new Error('connection lost') },
      { status: 'rejected', reason: new Error('connection lost') },
    ]);
    fake.fail = false;
    expect(await lookup(fake.db, 'a')).toEqual({ key: 'a', value: 1 });
    expect(fake.calls).toEqual([[['a', 'b']], [['a']]]);
  });

  it('runs over PostgreSQL as a prepared statement with a text array', async () => {
    const text = preparedStatement('SELECT id, tier_id FROM organizations WHERE id = ANY($1::text[])');
    const byId = batchedLookup<{ id: string; tier_id: string }>(text, (row) => row.id);
    await t.db
      .insertInto('organizations')
      .values({
        id: 'org_batch',
        name: 'Batch',
        tier_id: 'pro',
        billing_mode: 'agency',
        billing_anchor: new Date(),
      })
      .execute();
    expect(await Promise.all([byId(t.db, 'org_batch'), byId(t.db, 'org_none')])).toEqual([
      { id: 'org_batch', tier_id: 'pro' },
      undefined,
    ]);
  });
});

describe('preparedStatement', () => {
  it('is parsed once per connection and then executed by name', async () => {
    const text = preparedStatement('SELECT $1::int + 1 AS n');
    const names = await t.db.connection().execute(async (conn) => {
      for (const n of [1, 2, 3]) {
        expect((await conn.executeQuery(CompiledQuery.raw(text, [n]))).rows).toEqual([{ n: n + 1 }]);
      }
      const { rows } = await conn.executeQuery<{ name: string; statement: string }>(
        CompiledQuery.raw('SELECT name, statement FROM pg_prepared_statements'),
      );
      return rows;
    });
    expect(names).toContainEqual({ name: expect.stringMatching(/^layers_\d+$/), statement: text });
    expect(names.filter((r) => r.statement === text)).toHaveLength(1);
  });
});
