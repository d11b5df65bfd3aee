/**
 * Generation lifecycles against Temporal's own floor (`npm run bench:generations`). On one Temporal dev
 * server, one after another: three floors (workflows of the generation workflow's shape that do nothing:
 * handlers that answer at once, one no-op activity behind each update, one no-op local activity behind
 * each update; test/bench/floor-workflows.ts) and the engine itself over HTTP (POST /v1/generations,
 * then POST …/complete). Closed-loop clients each run start → complete as fast as answers come, at 32
 * and then 128 clients. Prints lifecycles/s, p50/p99 of start and complete, history events per
 * lifecycle, the ratios of the engine to each floor, reconciliation drift, and last one line of JSON.
 * Never asserted anywhere.
 *
 * Needs the local PostgreSQL of the tests (TEST_DATABASE_URL) and the Temporal CLI (scripts/install-
 * tools.sh); it creates and drops its own database. BENCH_DURATION_S (default 10) and BENCH_CLIENTS
 * (default 32,128) change the runs.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { buildApi } from '../../src/api/server';
import { createApiKey } from '../../src/auth/api-keys';
import { grantCredits } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { createGenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { createOrganization } from '../../src/orgs/orgs';
import { temporalExecutable } from '../../src/temporal/executables';
import { createBillingWorker } from '../../src/temporal/worker';
import { databaseUrl, withAdmin } from '../support/postgres';
import { completeUpdate, startUpdate, type FloorActivities } from './floor-workflows';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '32,128').split(',').map(Number);
const FLOOR_WORKFLOWS = fileURLToPath(new URL('./floor-workflows.ts', import.meta.url));

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

interface Latencies {
  p50: number;
  p99: number;
}
interface RowFigures {
  lifecyclesPerSec: number;
  lifecycles: number;
  errors: number;
  startMs: Latencies;
  completeMs: Latencies;
  historyEvents: number;
}

/** One lifecycle: start, then complete; returns each step's latency and the workflow id it ran. */
type Lifecycle = () => Promise<{ startMs: number; completeMs: number; workflowId: string }>;

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: Math.round(at(0.5)), p99: Math.round(at(0.99)) };
}

async function closedLoop(client: Client, clients: number, lifecycle: Lifecycle): Promise<RowFigures> {
  const starts: number[] = [];
  const completes: number[] = [];
  let errors = 0;
  let lastWorkflowId: string | undefined;
  const until = Date.now() + DURATION_S * 1000;
  const began = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        try {
          const r = await lifecycle();
          starts.push(r.startMs);
          completes.push(r.completeMs);
          lastWorkflowId = r.workflowId;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (Date.now() - began) / 1000;
  const history = lastWorkflowId ? await client.workflow.getHandle(lastWorkflowId).fetchHistory() : undefined;
  return {
    lifecyclesPerSec: Math.round((starts.length / elapsed) * 10) / 10,
    lifecycles: starts.length,
    errors,
    startMs: percentiles(starts),
    completeMs: percentiles(completes),
    historyEvents: history?.events?.length ?? 0,
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

function floorLifecycle(client: Client, taskQueue: string, workflowType: string): Lifecycle {
  return async () => {
    const workflowId = `floor-${randomUUID()}`;
    const startWorkflowOperation = new WithStartWorkflowOperation(workflowType, {
      workflowId,
      taskQueue,
      workflowIdConflictPolicy: 'FAIL',
    });
    const [startMs] = await timed(() =>
      client.workflow.executeUpdateWithStart(startUpdate, { startWorkflowOperation }),
    );
    const handle = await startWorkflowOperation.workflowHandle();
    const [completeMs] = await timed(() => handle.executeUpdate(completeUpdate, { args: [1] }));
    return { startMs, completeMs, workflowId };
  };
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const round = (n: number): number => Number(n.toPrecision(3));

async function main(): Promise<void> {
  const dbName = `layers_bench_generations_${Date.now().toString(36)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const db: Db = createDb(databaseUrl(dbName), { max: 20, applicationName: 'layers-billing-bench' });
  let env: TestWorkflowEnvironment | undefined;
  try {
    await migrateToLatest(db);
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: temporalExecutable('temporal'), log: { format: 'pretty', level: 'error' } },
    });
    const client = env.client;
    const floorQueue = `bench-floor-${randomUUID()}`;
    const engineQueue = `bench-engine-${randomUUID()}`;
    const activities: FloorActivities = { noop: async (n) => n };
    const floorWorker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: floorQueue,
      workflowsPath: FLOOR_WORKFLOWS,
      activities,
    });
    const engineWorker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: engineQueue,
      db,
    });

    const generations = createGenerationClient(client, {
      taskQueue: engineQueue,
      holdTimeoutMs: 30 * 60_000,
    });
    // The rate limit would otherwise be what this measures.
    const app = buildApi({
      db,
      generations,
      config: { rateLimitPerSecond: 1e9, rateLimitBurst: 1e9 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const org = await createOrganization(db, { name: 'Bench', tier: 'team' });
    await grantCredits(db, {
      orgId: org.orgId,
      bucket: 'prepaid',
      credits: 1_000_000_000,
      idempotencyKey: 'bench',
    });
    const auth = { authorization: `Bearer ${(await createApiKey(db, org.orgId)).apiKey}` };

    const engine: Lifecycle = async () => {
      const [startMs, created] = await timed(() =>
        post(
          `${baseUrl}/v1/generations`,
          { ...auth, 'idempotency-key': randomUUID() },
          {
            projectId: org.projectId,
            format: 'slideshow_builder',
          },
        ),
      );
      const id = created.generationId as string;
      const [completeMs] = await timed(() =>
        post(`${baseUrl}/v1/generations/${id}/complete`, auth, { actualCredits: 40 }),
      );
      return { startMs, completeMs, workflowId: generationWorkflowId(org.orgId, id) };
    };
    const rows: Array<{ name: string; worker: Worker; lifecycle: Lifecycle }> = [
      { name: 'bare', worker: floorWorker, lifecycle: floorLifecycle(client, floorQueue, 'bareFloor') },
      {
        name: 'activity',
        worker: floorWorker,
        lifecycle: floorLifecycle(client, floorQueue, 'activityFloor'),
      },
      {
        name: 'localActivity',
        worker: floorWorker,
        lifecycle: floorLifecycle(client, floorQueue, 'localActivityFloor'),
      },
      { name: 'engine', worker: engineWorker, lifecycle: engine },
    ];

    const figures: Record<string, Record<string, RowFigures>> = {};
    console.log(`${DURATION_S}s per run, closed-loop clients: start -> complete`);
    console.log(
      ['path'.padEnd(14), 'clients', 'lifec/s', 'start p50/p99', 'complete p50/p99', 'events', 'errors'].join(
        '  ',
      ),
    );
    // Each worker polls only during its own rows, so the other one takes nothing from the machine.
    const runs = new Map<Worker, Promise<void>>([
      [floorWorker, floorWorker.run()],
      [engineWorker, engineWorker.run()],
    ]);
    for (const clients of CLIENTS) {
      for (const row of rows) {
        // Warm-up: JIT, pools, the sandbox's first workflow tasks.
        for (let i = 0; i < 5; i++) await row.lifecycle();
        const f = await closedLoop(client, clients, row.lifecycle);
        (figures[row.name] ??= {})[String(clients)] = f;
        console.log(
          [
            row.name.padEnd(14),
            String(clients).padStart(7),
            String(f.lifecyclesPerSec).padStart(7),
            `${f.startMs.p50}/${f.startMs.p99}`.padStart(13),
            `${f.completeMs.p50}/${f.completeMs.p99}`.padStart(16),
            String(f.historyEvents).padStart(6),
            String(f.errors).padStart(6),
          ].join('  '),
        );
      }
    }

    const ratios: Record<string, Record<string, number>> = {};
    for (const clients of CLIENTS.map(String)) {
      const e = figures.engine![clients]!;
      ratios[clients] = {
        vsBare: round(e.lifecyclesPerSec / figures.bare![clients]!.lifecyclesPerSec),
        vsActivity: round(e.lifecyclesPerSec / figures.activity![clients]!.lifecyclesPerSec),
        vsLocalActivity: round(e.lifecyclesPerSec / figures.localActivity![clients]!.lifecyclesPerSec),
        startP99VsBare: round(e.startMs.p99 / Math.max(1, figures.bare![clients]!.startMs.p99)),
      };
      console.log(
        `${clients} clients: engine/bare ${ratios[clients]!.vsBare} (target >= 0.8), ` +
          `engine/activity ${ratios[clients]!.vsActivity}, engine/localActivity ${ratios[clients]!.vsLocalActivity}, ` +
          `start p99 engine/bare ${ratios[clients]!.startP99VsBare} (target <= 1.5)`,
      );
    }
    await app.close();
    floorWorker.shutdown();
    engineWorker.shutdown();
    await Promise.all(runs.values());
    const drift = await findDrift(db);
    console.log(`reconciliation: ${drift.length} drifting balances`);
    console.log(
      JSON.stringify({
        bench: 'generations',
        durationSeconds: DURATION_S,
        clients: CLIENTS,
        figures,
        ratios,
        targets: { vsBare: 0.8, startP99VsBare: 1.5 },
        ledgerDrift: drift.length,
      }),
    );
  } finally {
    await env?.teardown();
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  }
}

await main();
