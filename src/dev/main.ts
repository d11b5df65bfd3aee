import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import exitHook from 'async-exit-hook';
import type Stripe from 'stripe';
import { fileURLToPath } from 'node:url';
import { Connection, Client } from '@temporalio/client';
import { DEV_LOG_LEVEL, loadConfig, type Config } from '../config';
import { migrateToLatest } from '../db/migrate';
import { createDb, type Db } from '../db/pool';
import { stripeFromConfig } from '../stripe/client';
import { runBillingWorker } from '../temporal/worker';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDemoOrg } from './demo';
import { claimDataDir, type PidFile } from './pid-file';
import { isAlive, parentOf } from './processes';
import { assertPortsFree, portSetting, type DevPort } from './ports';
import { DevStartError } from './start-error';
import { startDevTemporalServer } from './temporal-server';
import { startDevStripe } from './stripe';
import { startApi } from '../api/start';
import { createApiKey } from '../auth/api-keys';
import { createSignInLink, signInUrl } from '../auth/sign-in-links';
import { DEFAULT_DASHBOARD_DIR } from '../api/dashboard-pages';
import { createBillingClient } from '../billing/client';
import { startOrgBilling } from '../billing/enroll';
import { attachDefaultCard } from '../orgs/stripe-customer';
import { consoleNotifier } from '../notify/notifier';
import { deliverPending } from '../notify/outbox';

const DEV_WEBHOOK_SECRET = 'whsec_dev_only';
/** The banner's sign-in link outlives the 15 minutes of the CLI's: a dev run often sits for hours. */
const DEV_SIGN_IN_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * `npm run dev`: the whole engine on one machine. Unset DATABASE_URL starts an embedded PostgreSQL,
 * unset TEMPORAL_ADDRESS starts a Temporal dev server with its UI; set ones are used as they are.
 * Ctrl-C, SIGTERM or SIGHUP (and the end of the process that started us) stop everything this process
 * started, in reverse order. `<data dir>/dev.pid` names this process and its services, so a run that
 * died without stopping them is cleaned up by the next one.
 */
const DATA_ROOT = process.env.DEV_DATA_DIR
  ? `${process.env.DEV_DATA_DIR.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../.data/', import.meta.url));
const log = (line: string) => console.log(`[dev] ${line}`);
const cleanups: Array<() => Promise<unknown>> = [];
let pidFile: PidFile | undefined;

/** The ports this run will listen on, each with the variable that moves it. */
function devPorts(config: Config): DevPort[] {
  const env = process.env;
  const ports: DevPort[] = [];
  if (!config.databaseUrl)
    ports.push({
      port: portSetting(env, 'DEV_POSTGRES_PORT', 54329),
      variable: 'DEV_POSTGRES_PORT',
      service: 'embedded PostgreSQL',
    });
  if (!config.temporalAddress) {
    const temporal = portSetting(env, 'DEV_TEMPORAL_PORT', 7233);
    ports.push({ port: temporal, variable: 'DEV_TEMPORAL_PORT', service: 'the Temporal dev server' });
    ports.push({
      port: portSetting(env, 'DEV_TEMPORAL_UI_PORT', temporal + 1000),
      variable: 'DEV_TEMPORAL_UI_PORT',
      service: 'the Temporal UI',
    });
  }
  ports.push({ port: config.port, variable: 'PORT', service: 'the API' });
  return ports;
}

async function main(): Promise<void> {
  let config: Config;
  let stripe: Stripe | undefined;
  try {
    config = loadConfig(process.env, { logLevel: DEV_LOG_LEVEL });
    stripe = stripeFromConfig(config);
  } catch (err) {
    throw new DevStartError((err as Error).message);
  }
  mkdirSync(DATA_ROOT, { recursive: true });
  pidFile = await claimDataDir(DATA_ROOT, log);
  const ports = devPorts(config);
  await assertPortsFree(ports);
  const portOf = (variable: string) => ports.find((p) => p.variable === variable)!.port;

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(DATA_ROOT, portOf('DEV_POSTGRES_PORT'), log);
    cleanups.push(() => pg.stop());
    pidFile.recordChildren();
    databaseUrl = pg.url;
    log(`embedded PostgreSQL  ${databaseUrl}`);
  }
  const db = createDb(databaseUrl);
  cleanups.push(() => db.destroy());
  const applied = await migrateToLatest(db);
  log(`migrations           ${applied.length ? applied.join(', ') : 'up to date'}`);

  let temporalAddress = config.temporalAddress;
  if (!temporalAddress) {
    const port = portOf('DEV_TEMPORAL_PORT');
    const uiPort = portOf('DEV_TEMPORAL_UI_PORT');
    const temporal = await startDevTemporalServer({
      port,
      uiPort,
      namespace: config.temporalNamespace,
      dbFilename: `${DATA_ROOT}temporal.sqlite`,
    });
    cleanups.push(() => temporal.stop());
    pidFile.recordChildren();
    temporalAddress = temporal.address;
    log(`Temporal dev server  ${temporalAddress}   UI http://127.0.0.1:${uiPort}`);
  }

  // Stripe: the configured account (test mode) when STRIPE_SECRET_KEY is set, else a local localstripe.
  const localStripe = !stripe;
  if (!stripe) {
    const local = await startDevStripe();
    cleanups.push(() => local.stop());
    pidFile.recordChildren();
    stripe = local.stripe;
    log(`local Stripe         ${local.apiBase} (localstripe; set STRIPE_SECRET_KEY for Stripe test mode)`);
  }

  const worker = await runBillingWorker(temporalAddress, {
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    db,
    stripe,
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
  // The dashboard scope too: the same key signs in to the dashboard, and the banner's link acts as it.
  const demoKey = await createApiKey(db, demo.orgId, { scopes: ['dashboard'] });
  const { apiKey } = demoKey;
  if (localStripe) await attachDefaultCard({ db, stripe }, demo.orgId, 'pm_card_visa');
  // Every org has its billing workflow; found running on later runs (startOrgBilling is idempotent).
  const billing = createBillingClient({
    client,
    taskQueue: config.taskQueue,
    engineTimeoutMs: config.engineTimeoutMs,
  });
  const demoBilling = await startOrgBilling(db, billing, demo.orgId);
  log(`demo org             ${demo.orgId} (project ${demo.projectId}), ${demo.credits.balance} credits`);
  log(
    `demo billing         ${demoBilling.workflowId} (${demoBilling.started ? 'started' : 'already running'})`,
  );
  log(`demo API key         ${apiKey}`);
  log(
    `try                  curl -H "Authorization: Bearer ${apiKey}" http://127.0.0.1:${config.port}/v1/credits`,
  );
  const apiUrl = `http://127.0.0.1:${config.port}`;
  const signIn = await createSignInLink(db, demoKey, DEV_SIGN_IN_LINK_TTL_MS);
  const built = existsSync(path.join(DEFAULT_DASHBOARD_DIR, 'index.html'));
  log(`dashboard            ${apiUrl}/dashboard/${built ? '' : '   (not built yet: npm run build)'}`);
  log(`dashboard sign-in    ${signInUrl(apiUrl, signIn.token)}   (once, within 24 h)`);
  cleanups.push(printNotifications(db));
  log(`notifications        printed here as they are written (credit alerts, …)`);
  log(`data                 ${DATA_ROOT} (kept between runs; stop, then delete it to start fresh)`);
  log('ready — Ctrl-C stops everything');
}

/** Delivers the outbox to the console every second; returns the cleanup that stops it. */
function printNotifications(db: Db): () => Promise<void> {
  const notifier = consoleNotifier((line) => log(line));
  let round = Promise.resolve();
  const timer = setInterval(() => {
    round = round
      .then(() => deliverPending(db, notifier))
      .then(
        () => undefined,
        (err: unknown) =>
          log(`notifications not delivered: ${err instanceof Error ? err.message : String(err)}`),
      );
  }, 1000);
  return async () => {
    clearInterval(timer);
    await round;
  };
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (cleanups.length > 0) log('stopping…');
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => console.error('[dev] cleanup failed:', err));
  }
  pidFile?.remove();
  if (cleanups.length > 0) log('stopped');
}

// The signal that stops us decides the exit code (128 + its number), as if we had not caught it.
let caughtSignal: NodeJS.Signals | undefined;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => (caughtSignal ??= sig));

// embedded-postgres stops its server through async-exit-hook on SIGINT, SIGTERM and SIGHUP; registering
// here too makes the process wait for this orderly stop (worker drained, servers stopped). Its own hook
// never finishes when PostgreSQL already exited (Ctrl-C in a terminal signals the whole process group),
// so the process exits as soon as ours is done.
exitHook.forceExitTimeout(30_000);
exitHook((done) => {
  void stop().finally(() => {
    done();
    process.exit(caughtSignal ? 128 + constants.signals[caughtSignal] : 0);
  });
});

// `npm run dev` stopped with SIGTERM or SIGHUP ends npm (and, on SIGTERM, its shell) without passing the
// signal on. We notice by being re-parented or by npm, our grandparent, going away, and stop as if we
// had received SIGHUP.
const parent = process.ppid;
const grandparent = parentOf(parent);
const watch = setInterval(() => {
  const gone =
    process.ppid !== parent
      ? parent
      : grandparent && grandparent > 1 && !isAlive(grandparent)
        ? grandparent
        : 0;
  if (gone) {
    clearInterval(watch);
    log(`the process that started us (pid ${gone}) is gone`);
    process.kill(process.pid, 'SIGHUP');
  }
}, 500).unref();

main().catch(async (err: unknown) => {
  if (err instanceof DevStartError) console.error(`[dev] cannot start: ${err.message}`);
  else console.error('[dev] failed to start:', err);
  await stop();
  process.exit(1);
});
