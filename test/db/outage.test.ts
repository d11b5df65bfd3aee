import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUnavailable, isDatabaseOutage } from '../../src/db/outage';
import { createDb } from '../../src/db/pool';
import { DomainError } from '../../src/errors';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { withAdmin } from '../support/postgres';

/**
 * What the pool does when PostgreSQL ends sessions, as a restart or failover does: the server-side end
 * is real (pg_terminate_backend on this file's own database, which sends the same 57P01 FATAL as
 * `pg_ctl stop -m fast`; the shared server itself is never stopped), and so are the refused and the
 * never-answered connections.
 */
let t: TestDatabase;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  t = await createTestDatabase({ max: 4 });
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await t?.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function terminate(pids: number[]): Promise<void> {
  await withAdmin((c) => c.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]));
}

async function backendPids(): Promise<number[]> {
  const name = new URL(t.url).pathname.slice(1);
  const { rows } = await withAdmin((c) =>
    c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [name]),
  );
  return rows.map((r) => r.pid);
}

describe('the pool when PostgreSQL ends a session', () => {
  it('survives the end of a checked-out connection, reports it as an outage, and reconnects', async () => {
    const failure = await t.db.connection().execute(async (conn) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn);
      await terminate([rows[0]!.pid]);
      // The FATAL arrives between two queries of this holder: before the fix, an 'error' event nobody
      // listened to, which exits the process.
      await pause(300);
      return sql`SELECT 1`.execute(conn).then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(uncaught).toEqual([]);
    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseOutage(failure)).toBe(true);
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(t.db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('fails a query in flight with an outage (57P01) and serves the next one', async () => {
    const running = sql`SELECT pg_sleep(5)`.execute(t.db).then(
      () => undefined,
      (err: unknown) => err,
    );
    await pause(200);
    await terminate(await backendPids());
    const err = (await running) as { code?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('57P01');
    expect(isDatabaseOutage(err)).toBe(true);
    expect(uncaught).toEqual([]);
    // The other, idle connections learn of their end when their socket closes; one taken before that
    // fails the same way (503 at the API, retried by the caller). Once they are gone, the pool reconnects.
    await pause(300);
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(t.db)).rows).toEqual([{ one: 1 }]);
  });

  it('survives every connection ended at once, idle or in a transaction', async () => {
    await Promise.all([1, 2, 3].map(() => sql`SELECT 1`.execute(t.db)));
    const inTransaction = t.db.transaction().execute(async (trx) => {
      await sql`SELECT 1`.execute(trx);
      await pause(600);
      await sql`SELECT 1`.execute(trx);
    });
    const outcome = inTransaction.then(
      () => undefined,
      (err: unknown) => err,
    );
    await pause(200);
    await terminate(await backendPids());
    await pause(300);
    expect(isDatabaseOutage(await outcome)).toBe(true);
    expect(uncaught).toEqual([]);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => sql<{ one: number }>`SELECT 1 AS one`.execute(t.db)),
    );
    expect(results.map((r) => r.rows[0]!.one)).toEqual([1, 1, 1, 1]);
  });
});

describe('isDatabaseOutage', () => {
  it('classifies a refused connection (server down) as an outage', async () => {
    const db = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`, { max: 1 });
    try {
      const err = await sql`SELECT 1`.execute(db).catch((e: unknown) => e);
      expect(isDatabaseOutage(err)).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('gives up on a server that accepts but never answers after the connection timeout', async () => {
    // A listener that never speaks the protocol: what a hung server or a half-done failover looks like.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const db = createDb(`postgres://postgres@127.0.0.1:${port}/nothing`, {
      max: 1,
      connectionTimeoutMs: 500,
    });
    try {
      const started = Date.now();
      const err = await sql`SELECT 1`.execute(db).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(isDatabaseOutage(err)).toBe(true);
    } finally {
      await db.destroy();
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('does not classify faults of the statement or domain refusals as outages', async () => {
    const syntax = await sql`SELEC 1`.execute(t.db).catch((e: unknown) => e);
    const division = await sql`SELECT 1 / 0`.execute(t.db).catch((e: unknown) => e);
    const missing = await sql`SELECT * FROM no_such_table`.execute(t.db).catch((e: unknown) => e);
    for (const err of [syntax, division, missing]) {
      expect(err).toBeInstanceOf(Error);
      expect(isDatabaseOutage(err)).toBe(false);
    }
    expect(isDatabaseOutage(new DomainError('NOT_FOUND', 'x'))).toBe(false);
    expect(isDatabaseOutage(new Error('boom'))).toBe(false);
    expect(isDatabaseOutage('ECONNREFUSED')).toBe(false);
    expect(isDatabaseOutage(undefined)).toBe(false);
  });

  it('finds an outage in a cause chain and in an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isDatabaseOutage(new Error('wrapped', { cause: refused }))).toBe(true);
    expect(isDatabaseOutage(new AggregateError([new Error('x'), refused]))).toBe(true);
    expect(isDatabaseOutage(Object.assign(new Error('08006'), { code: '08006' }))).toBe(true);
    expect(isDatabaseOutage(Object.assign(new Error('23505'), { code: '23505' }))).toBe(false);
  });

  it('answers an outage as a retryable 503 with a Retry-After', () => {
    const err = databaseUnavailable();
    expect(err.code).toBe('DATABASE_UNAVAILABLE');
    expect(err.httpStatus).toBe(503);
    expect(err.details).toEqual({ retryAfterSeconds: expect.any(Number) });
  });
});
