import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities/index';
import { buildApi, type ApiDeps } from '../../src/api/server';
import { createBillingClient, type BillingClient } from '../../src/billing/client';
import { startOrgBilling } from '../../src/billing/enroll';
import { billingWorkflowId } from '../../src/billing/ids';
import { createGenerationClient } from '../../src/generations/client';
import { workflowBundle } from '../../src/temporal/worker';
import { createWalletClient, type WalletClient } from '../../src/wallet/client';
import { walletWorkflowId } from '../../src/wallet/ids';
import { callApi, type CallOptions } from '../support/api';
import { freshTaskQueue, startPaymentsHarness, type PaymentsHarness } from '../credit-packs/support';

/**
 * The whole API listening on a port, over the payments harness (its own PostgreSQL database, the
 * time-skipping server, localstripe) and a worker of the real workflows and activities: what the
 * payments, billing and contract tests call over real HTTP.
 */
export interface PaymentsApi {
  h: PaymentsHarness;
  app: FastifyInstance;
  baseUrl: string;
  /** A plain client: env.client would skip time while it waits, firing other timers mid-test. */
  client: Client;
  billing: BillingClient;
  /** The API's wallet client; every org it nudged has its wallet workflow terminated at stop. */
  wallet: WalletClient;
  /** Every nudge the API sent through it and Temporal accepted, in order. */
  nudges: { orgId: string; reason: string }[];
  taskQueue: string;
  call(method: string, path: string, opts?: CallOptions): ReturnType<typeof callApi>;
  /** Starts the org's billing workflow; it is terminated when the harness stops (it never ends itself). */
  startBilling(
    orgId: string,
    opts?: Parameters<typeof startOrgBilling>[3],
  ): ReturnType<typeof startOrgBilling>;
  stop(): Promise<void>;
}

export async function startPaymentsApi(
  opts: Pick<ApiDeps, 'config' | 'clock'> & { webhookSecret?: string } = {},
): Promise<PaymentsApi> {
  const h = await startPaymentsHarness();
  const taskQueue = freshTaskQueue();
  const client = new Client({ connection: h.env.connection, namespace: 'default' });
  const billing = createBillingClient({ client, taskQueue });
  const nudged = new Set<string>();
  const nudges: PaymentsApi['nudges'] = [];
  const walletClient = createWalletClient({ client, taskQueue });
  // The real client, watched: what the routes told the workflow is what the wallet tests check.
  const wallet: WalletClient = {
    ...walletClient,
    async nudge(orgId, reason) {
      nudged.add(orgId);
      await walletClient.nudge(orgId, reason);
      nudges.push({ orgId, reason });
    },
  };
  const app = buildApi({
    db: h.t.db,
    generations: createGenerationClient(client, { taskQueue, holdTimeoutMs: 3_600_000 }),
    temporalClient: client,
    billing,
    wallet,
    payments: opts.webhookSecret
      ? { temporalClient: client, taskQueue, webhookSecret: opts.webhookSecret }
      : undefined,
    config: opts.config,
    clock: opts.clock,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db: h.t.db, stripe: h.stripe }),
  });
  const running = worker.run();
  const billed: string[] = [];
  return {
    h,
    app,
    baseUrl,
    client,
    billing,
    wallet,
    nudges,
    taskQueue,
    call: (method, path, callOpts) => callApi(baseUrl, method, path, callOpts),
    async startBilling(orgId, startOpts) {
      billed.push(orgId);
      return startOrgBilling(h.t.db, billing, orgId, startOpts);
    },
    async stop() {
      await app.close();
      await Promise.all(
        [...billed.map(billingWorkflowId), ...[...nudged].map(walletWorkflowId)].map((workflowId) =>
          client.workflow
            .getHandle(workflowId)
            .terminate()
            .catch(() => undefined),
        ),
      );
      worker.shutdown();
      await running;
      await h.stop();
    },
  };
}
