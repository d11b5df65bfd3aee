import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb } from '../../src/db/pool';
import { databaseUrl, resolveTestPostgres, withAdmin } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    runId: string;
  }
}

/**
 * Where to look for the default server. TEST_POSTGRES_PROBE (host:port) exists to check the embedded
 * fallback on a machine whose PostgreSQL must keep running: point it at a closed port.
 */
function probeAddress() {
  const [host = '127.0.0.1', port = '5432'] = (process.env.TEST_POSTGRES_PROBE ?? '')
    .split(':')
    .filter(Boolean);
  return { host, port: Number(port) };
}

/**
 * Finds the PostgreSQL server of the run (starting an embedded one when there is none), then migrates
 * one template database per run; each test file then clones it (CREATE DATABASE … TEMPLATE), which is
 * much faster than migrating again and gives every file a database of its own.
 */
export default async function setup(project: TestProject) {
  const server = await resolveTestPostgres(process.env, probeAddress());
  if (server.embedded) {
    // Test files run in processes forked after global setup, which inherit this.
    process.env.TEST_DATABASE_URL = server.url;
    console.log(
      `[test] no PostgreSQL on ${probeAddress().host}:${probeAddress().port} and TEST_DATABASE_URL unset: using an embedded one at ${server.url} for this run`,
    );
  }
  const runId = `${Date.now().toString(36)}${process.pid}`;
  const template = `layers_test_${runId}_template`;
  try {
    await withAdmin((c) => c.query(`CREATE DATABASE ${template}`));
    const db = createDb(databaseUrl(template), { max: 1 });
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  } catch (err) {
    await server.embedded?.stop();
    throw err;
  }
  project.provide('templateDatabase', template);
  project.provide('runId', runId);

  return async () => {
    if (server.embedded) return server.embedded.stop();
    await withAdmin(async (c) => {
      const { rows } = await c.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname DESC`,
        [`layers_test_${runId}_%`],
      );
      for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    });
  };
}
