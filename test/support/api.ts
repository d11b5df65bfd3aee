import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../src/api/server';
import { createGenerationClient, type GenerationClient } from '../../src/generations/client';
import { createBillingWorker } from '../../src/temporal/worker';
import { createTestDatabase, type TestDatabase } from './database';
import { makeOrgWithKey, NO_RATE_LIMITS } from './fixtures';
import { createTimeSkippingEnv } from './temporal';

export const HOLD_MS = 60 * 60 * 1000;

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
}

export interface CallOptions {
  key?: string;
  /** Serialized as JSON with content-type application/json. */
  json?: unknown;
  /** Sent as is (with the given headers only): for malformed and oversized bodies. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestOrg {
  orgId: string;
  projectId: string;
  apiKey: string;
  prefix: string;
}

/**
 * A real listening API over a real database and a real Temporal test server with a billing worker
 * running for the whole file, on a task queue of its own.
 */
export interface ApiHarness {
  t: TestDatabase;
  env: TestWorkflowEnvironment;
  app: FastifyInstance;
  baseUrl: string;
  client: Client;
  generations: GenerationClient;
  taskQueue: string;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  /** Builds and listens another API over the same database and Temporal (e.g. other rate limits). */
  extraApi(config: ApiDeps['config']): Promise<{ baseUrl: string; app: FastifyInstance }>;
  newOrg(opts?: { tier?: string; prepaid?: number }): Promise<TestOrg>;
  close(): Promise<void>;
}

export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined = opts.raw;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export async function startApiHarness(): Promise<ApiHarness> {
  const [t, env] = await Promise.all([createTestDatabase({ max: 20 }), createTimeSkippingEnv()]);
  const taskQueue = `api-${randomUUID()}`;
  const worker: Worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    db: t.db,
  });
  const running = worker.run();
  // A plain client, not env.client: that one unlocks time skipping while it waits for a result, which
  // would let hold timers of unrelated in-flight generations fire in the middle of a test.
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const generations = createGenerationClient(client, { taskQueue, holdTimeoutMs: HOLD_MS });
  const build = (config: ApiDeps['config']) =>
    buildApi({ db: t.db, generations, temporalClient: client, config });
  const app = build(NO_RATE_LIMITS);
  const baseUrl = await listen(app);
  const extras: FastifyInstance[] = [];

  return {
    t,
    env,
    app,
    baseUrl,
    client,
    generations,
    taskQueue,
    call: (method, path, opts) => callApi(baseUrl, method, path, opts),
    async extraApi(config) {
      const extra = build(config);
      extras.push(extra);
      return { app: extra, baseUrl: await listen(extra) };
    },
    newOrg: (opts = {}) => makeOrgWithKey(t.db, opts),
    async close() {
      await Promise.all([app.close(), ...extras.map((e) => e.close())]);
      worker.shutdown();
      await running;
      await env.teardown();
      await t.close();
    },
  };
}
