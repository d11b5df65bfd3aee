import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { createBillingClient } from '../billing/client';
import { createGenerationClient } from '../generations/client';
import { createWalletClient } from '../wallet/client';
import { buildApi } from './server';

/** The API as both entries (`npm start`, `npm run dev`) serve it: every route, listening on config.port. */
export async function startApi(
  db: Db,
  client: Client,
  config: Config,
  host = '0.0.0.0',
): Promise<FastifyInstance> {
  const app = buildApi({
    db,
    generations: createGenerationClient(client, {
      taskQueue: config.taskQueue,
      holdTimeoutMs: config.holdTimeoutMs,
      engineTimeoutMs: config.engineTimeoutMs,
    }),
    temporalClient: client,
    billing: createBillingClient({
      client,
      taskQueue: config.taskQueue,
      engineTimeoutMs: config.engineTimeoutMs,
    }),
    wallet: createWalletClient({
      client,
      taskQueue: config.taskQueue,
      engineTimeoutMs: config.engineTimeoutMs,
    }),
    payments: {
      temporalClient: client,
      taskQueue: config.taskQueue,
      webhookSecret: config.stripeWebhookSecret,
    },
    config,
  });
  await app.listen({ port: config.port, host });
  return app;
}
