/**
 * Generation lifecycles against Temporal's own floor (`npm run bench:generations`). On one Temporal dev
 * server, one after another: three floors (workflows of the generation workflow's shape that do nothing:
 * handlers that answer at once, one no-op activity behind each update, one no-op local activity behind
 * each update; test/bench/floor-workflows.ts) and the engine itself over HTTP (POST /v1/generations,
 * then POST …/complete). Closed-loop clients each run start → complete as fast as answers come, at 32
 * and then 128 clients, in a process of their own (lifecycle-generator.ts); this process runs the
 * workers and the API. Prints lifecycles/s, p50/p99 of start and complete, history events per
 * lifecycle, the ratios of the engine to each floor, reconciliation drift, and last one line of JSON.
 * Never asserted anywhere.
 *
 * Needs the local PostgreSQL of the tests (TEST_DATABASE_URL) and the Temporal CLI (scripts/install-
 * tools.sh); it creates and drops its own database. BENCH_DURATION_S (default 10) and BENCH_CLIENTS
 * (default 32,128) change the runs.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { buildApi } from '../../src/api/server';
import { findDrift } from '../../src/credits/reconcile';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { createGenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { temporalExecutable } from '../../src/temporal/executables';
import { createBillingWorker } from '../../src/temporal/worker';
import { databaseUrl, withAdmin } from '../support/postgres';
import type { FloorActivities } from './floor-workflows';
import type { LoadOptions, LoadResult, LoadTarget } from './lifecycle-generator';
import { makeOrgWithKey, NO_RATE_LIMITS } from '../support/fixtures';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '32,128').split(',').map(Number);
const FLOOR_WORKFLOWS = fileURLToPath(new URL('./floor-workflows.ts', import.meta.url));
const GENERATOR = fileURLToPath(new URL('./lifecycle-generator.ts', import.meta.url));

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

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: Math.round(at(0.5)), p99: Math.round(at(0.99)) };
}

/** Runs one row's clients in a forked lifecycle-generator.ts and reads the figures back. */
function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const child = fork(GENERATOR);
  return new Promise((resolve, reject) => {
    child.once('message', (result) => resolve(result as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lifecycle generator exited with code ${code}`)));
    child.send(options);
  });
}

async function row(client: Client, target: LoadTarget, clients: number, historyId: (id: string) => string) {
  const r = await generateLoad({ target, clients, seconds: DURATION_S, warmup: 5 });
  const history = r.lastId ? await client.workflow.getHandle(historyId(r.lastId)).fetchHistory() : undefined;
  const figures: RowFigures = {
    lifecyclesPerSec: Math.round((r.starts.length / r.elapsedSeconds) * 10) / 10,
    lifecycles: r.starts.length,
    errors: r.errors,
    startMs: percentiles(r.starts),
    completeMs: percentiles(r.completes),
    historyEvents: history?.events?.length ?? 0,
  };
  return figures;
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
      config: NO_RATE_LIMITS,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const org = await makeOrgWithKey(db, { tier: 'team', prepaid: 1_000_000_000 });
    const apiKey = org.apiKey;
    const address = env.address;
    const floor = (workflowType: string): LoadTarget => ({
      kind: 'floor',
      temporalAddress: address,
      taskQueue: floorQueue,
      workflowType,
    });
    const rows: Array<{ name: string; target: LoadTarget; historyId: (id: string) => string }> = [
      { name: 'bare', target: floor('bareFloor'), historyId: (id) => id },
      { name: 'activity', target: floor('activityFloor'), historyId: (id) => id },
      { name: 'localActivity', target: floor('localActivityFloor'), historyId: (id) => id },
      {
        name: 'engine',
        target: { kind: 'engine', baseUrl, apiKey, projectId: org.projectId },
        historyId: (id) => generationWorkflowId(org.orgId, id),
      },
    ];

    const figures: Record<string, Record<string, RowFigures>> = {};
    console.log(`${DURATION_S}s per run, closed-loop clients in their own process: start -> complete`);
    console.log(
      ['path'.padEnd(14), 'clients', 'lifec/s', 'start p50/p99', 'complete p50/p99', 'events', 'errors'].join(
        '  ',
      ),
    );
    const runs = [floorWorker.run(), engineWorker.run()];
    for (const clients of CLIENTS) {
      for (const r of rows) {
        const f = await row(client, r.target, clients, r.historyId);
        (figures[r.name] ??= {})[String(clients)] = f;
        console.log(
          [
            r.name.padEnd(14),
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
    await Promise.all(runs);
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
