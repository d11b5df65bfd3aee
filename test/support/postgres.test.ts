import { existsSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports';
import { DEFAULT_TEST_DATABASE_URL, resolveTestPostgres } from './postgres';

/**
 * Which PostgreSQL `npm test` uses: TEST_DATABASE_URL when set, the local server when one answers,
 * else an embedded one of the run's own. The probe points at ports of this test, never at the
 * machine's server, which keeps running.
 */
describe('the test run’s PostgreSQL', () => {
  it('is TEST_DATABASE_URL when set, without looking further', async () => {
    const closed = await freePort();
    const url = 'postgres://someone@db.example:6543/postgres';
    expect(
      await resolveTestPostgres({ TEST_DATABASE_URL: url }, { host: '127.0.0.1', port: closed }),
    ).toEqual({
      url,
    });
  });

  it('is the local default when something answers there', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      expect(await resolveTestPostgres({}, { host: '127.0.0.1', port })).toEqual({
        url: DEFAULT_TEST_DATABASE_URL,
      });
    } finally {
      server.close();
    }
  });

  it('is an embedded server of the run’s own when nothing answers, gone after stop', async () => {
    const closed = await freePort();
    const found = await resolveTestPostgres({}, { host: '127.0.0.1', port: closed });
    expect(found.embedded).toBeDefined();
    const url = new URL(found.url);
    expect(url.port).not.toBe('5432');
    const client = new pg.Client({ connectionString: found.url });
    await client.connect();
    try {
      // What global setup needs of it: creating (and dropping) databases.
      await client.query('CREATE DATABASE layers_fallback_probe');
      await client.query('DROP DATABASE layers_fallback_probe');
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    await found.embedded!.stop();
    expect(existsSync(found.embedded!.dataDir)).toBe(false);
    const stillAnswers = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: Number(url.port) });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    expect(stillAnswers).toBe(false);
  }, 60_000);
});
