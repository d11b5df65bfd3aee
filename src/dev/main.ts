import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { createDb } from '../db/pool';
import { temporalExecutable } from '../temporal/executables';
import { createBillingWorker } from '../temporal/worker';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDemoOrg } from './demo';

/**
 * `npm run dev`: the whole engine on one machine. Unset DATABASE_URL starts an embedded PostgreSQL,
 * unset TEMPORAL_ADDRESS starts a Temporal dev server with its UI; set ones are used as they are.
 * Ctrl-C stops everything this process started, in reverse order.
 */
const DATA_ROOT = fileURLToPath(new URL('../../.data/', import.meta.url));
const config = loadConfig();
const log = (line: string) => console.log(`[dev] ${line}`);
const cleanups: Array<() => Promise<unknown>> = [];

async function main(): Promise<void> {
  mkdirSync(DATA_ROOT, { recursive: true });

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(DATA_ROOT, Number(process.env.DEV_POSTGRES_PORT ?? 54329), log);
    cleanups.push(() => pg.stop());
    databaseUrl = pg.url;
    log(`embedded PostgreSQL  ${databaseUrl}`);
  }
  const db = createDb(databaseUrl);
  cleanups.push(() => db.destroy());
  const applied = await migrateToLatest(db);
  log(`migrations           ${applied.length ? applied.join(', ') : 'up to date'}`);

  let temporalAddress = config.temporalAddress;
  if (!temporalAddress) {
    const port = Number(process.env.DEV_TEMPORAL_PORT ?? 7233);
    const uiPort = Number(process.env.DEV_TEMPORAL_UI_PORT ?? 8233);
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: temporalExecutable('temporal'),
        ip: '127.0.0.1',
        port,
        ui: true,
        uiPort,
        dbFilename: `${DATA_ROOT}temporal.sqlite`,
      },
    });
    cleanups.push(() => env.teardown());
    temporalAddress = `127.0.0.1:${port}`;
    log(`Temporal dev server  ${temporalAddress}   UI http://127.0.0.1:${uiPort}`);
  }

  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  cleanups.push(() => nativeConnection.close());
  const worker = await createBillingWorker({
    connection: nativeConnection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    db,
  });
  const running = worker.run();
  cleanups.push(async () => {
    // The SDK's runtime already starts shutting workers down on SIGINT/SIGTERM.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  log(`worker               task queue "${config.taskQueue}"`);

  const connection = await Connection.connect({ address: temporalAddress });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporalNamespace });
  void client;

  const demo = await ensureDemoOrg(db);
  log(`demo org             ${demo.orgId} (project ${demo.projectId}), ${demo.credits.balance} credits`);
  log('ready — Ctrl-C stops everything');
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // embedded-postgres stops its server on the same signal and then exits the process itself, so this
  // line is announced first; the test in test/dev proves nothing is left running either way.
  log('stopping…');
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => console.error('[dev] cleanup failed:', err));
  }
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
main().catch(async (err: unknown) => {
  console.error('[dev] failed to start:', err);
  await stop(1);
});
