import { mkdirSync } from 'node:fs';
import exitHook from 'async-exit-hook';
import { fileURLToPath } from 'node:url';
import { Connection, Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEV_LOG_LEVEL, loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { createDb } from '../db/pool';
import { temporalExecutable } from '../temporal/executables';
import { runBillingWorker } from '../temporal/worker';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDemoOrg } from './demo';
import { startDevStripe } from './stripe';
import { startApi } from '../api/start';
import { createApiKey } from '../auth/api-keys';
import { attachDefaultCard } from '../payments/customers';

const DEV_WEBHOOK_SECRET = 'whsec_dev_only';

/**
 * `npm run dev`: the whole engine on one machine. Unset DATABASE_URL starts an embedded PostgreSQL,
 * unset TEMPORAL_ADDRESS starts a Temporal dev server with its UI; set ones are used as they are.
 * Ctrl-C stops everything this process started, in reverse order.
 */
const DATA_ROOT = process.env.DEV_DATA_DIR
  ? `${process.env.DEV_DATA_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../.data/', import.meta.url));
const config = loadConfig(process.env, { logLevel: DEV_LOG_LEVEL });
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

  // Stripe: the configured account (test mode) when STRIPE_SECRET_KEY is set, else a local localstripe.
  const stripe = process.env.STRIPE_SECRET_KEY ? undefined : await startDevStripe();
  if (stripe) {
    cleanups.push(() => stripe.stop());
    log(`local Stripe         ${stripe.apiBase} (localstripe; set STRIPE_SECRET_KEY for Stripe test mode)`);
  }

  const worker = await runBillingWorker(temporalAddress, {
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    db,
  });
  cleanups.push(() => worker.stop());
  log(`worker               task queue "${config.taskQueue}"`);

  const connection = await Connection.connect({ address: temporalAddress });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const app = await startApi(
    db,
    client,
    { ...config, stripeWebhookSecret: config.stripeWebhookSecret ?? DEV_WEBHOOK_SECRET },
    '127.0.0.1',
  );
  cleanups.push(() => app.close());
  log(`API                  http://127.0.0.1:${config.port}   (OpenAPI: /v1/openapi.json)`);

  const demo = await ensureDemoOrg(db);
  const { apiKey } = await createApiKey(db, demo.orgId);
  if (stripe) await attachDefaultCard({ db, gateway: stripe.gateway }, demo.orgId, 'pm_card_visa');
  log(`demo org             ${demo.orgId} (project ${demo.projectId}), ${demo.credits.balance} credits`);
  log(`demo API key         ${apiKey}`);
  log(
    `try                  curl -H "Authorization: Bearer ${apiKey}" http://127.0.0.1:${config.port}/v1/credits`,
  );
  log('ready — Ctrl-C stops everything');
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => console.error('[dev] cleanup failed:', err));
  }
  log('stopped');
}

// embedded-postgres stops its server through async-exit-hook on the same signals; registering here too
// makes the process wait for this orderly stop (worker drained, servers stopped) before it exits.
exitHook.forceExitTimeout(30_000);
exitHook((done) => void stop().finally(done));
main().catch(async (err: unknown) => {
  console.error('[dev] failed to start:', err);
  await stop();
  process.exit(1);
});
