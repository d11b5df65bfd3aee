import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  Worker,
  NativeConnection,
  type WorkerOptions,
  type WorkflowBundle,
} from '@temporalio/worker';
import type Stripe from 'stripe';
import type { AdPlatforms } from '../ads/platform';
import { createActivities } from '../../activities/index';
import type { Db } from '../db/pool';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundle> | undefined;

/** Bundling takes seconds; do it once per process however many workers start. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

export interface BillingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** Built by the entry point (stripeFromConfig); absent, credit-pack purchases wait for a worker that has it. */
  stripe?: Stripe | undefined;
  /** The ad platforms the wallet pauses and resumes campaigns on (default: the recording fake). */
  ads?: AdPlatforms;
  /** Tuning for tests and deployments (cache size, concurrency); identity options cannot be overridden. */
  tuning?: Pick<
    WorkerOptions,
    'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'stickyQueueScheduleToStartTimeout'
  >;
}

export async function createBillingWorker(opts: BillingWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db: opts.db, stripe: opts.stripe, ads: opts.ads }),
    ...opts.tuning,
  });
}

const noop = () => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (msg: string, meta?: unknown) => console.warn(msg, meta ?? ''),
  error: (msg: string, meta?: unknown) => console.error(msg, meta ?? ''),
  log: noop,
};

/**
 * Connects, starts a billing worker polling in the background and returns how to stop it: drain the
 * worker, then close its connection. Both entries (npm start, npm run dev) run their worker this way.
 */
export async function runBillingWorker(
  address: string,
  opts: Omit<BillingWorkerOptions, 'connection'>,
): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await createBillingWorker({ ...opts, connection });
  const running = worker.run();
  return {
    async stop() {
      // The SDK's runtime already starts shutting workers down on SIGINT/SIGTERM by itself.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
