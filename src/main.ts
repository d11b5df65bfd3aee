import { Client, Connection } from '@temporalio/client';
import { runEntry } from './cli/entry';
import { ConfigError, loadConfig, requireSetting } from './config';
import { createDb } from './db/pool';
import { stripeFromConfig } from './stripe/client';
import { runBillingWorker } from './temporal/worker';
import { startApi } from './api/start';

/**
 * Production entry: `npm start` runs the API and the worker in one process; `npm run api` and
 * `npm run worker` run one half each, to scale them apart. Both need DATABASE_URL and TEMPORAL_ADDRESS.
 */
const USAGE = `usage: npm start | npm run api | npm run worker   (tsx src/main.ts [api|worker])

Runs the partner API and the Temporal worker (both, or one of them) against DATABASE_URL and
TEMPORAL_ADDRESS, which must be set; see the README's configuration table for the other variables.
SIGINT or SIGTERM stops them after in-flight work.`;

await runEntry('layers-billing', USAGE, async () => {
  const role = process.argv[2] ?? 'all';
  if (!['all', 'api', 'worker'].includes(role))
    throw new ConfigError(`unknown role "${role}": expected api, worker or nothing for both`);
  const config = loadConfig();
  const databaseUrl = requireSetting('DATABASE_URL', config.databaseUrl);
  const address = requireSetting('TEMPORAL_ADDRESS', config.temporalAddress);
  // Only the worker talks to Stripe; the API takes the webhook secret alone.
  const stripe = role === 'api' ? undefined : stripeFromConfig(config);
  const db = createDb(databaseUrl);
  const stops: Array<() => Promise<unknown>> = [];

  if (role !== 'api') {
    const worker = await runBillingWorker(address, {
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      db,
      stripe,
    });
    stops.push(() => worker.stop());
    console.log(`worker polling "${config.taskQueue}" on ${address}`);
  }

  if (role !== 'worker') {
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: config.temporalNamespace });
    const app = await startApi(db, client, config);
    stops.push(async () => {
      await app.close();
      await connection.close();
    });
    console.log(`API listening on port ${config.port}`);
  }

  async function stop(): Promise<void> {
    for (const s of stops.reverse())
      await s().catch((err: unknown) => console.error('shutdown step failed:', err));
    await db.destroy();
    process.exit(0);
  }
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
});
