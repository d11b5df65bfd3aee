/**
 * Generation lifecycles against Temporal's own floor (`npm run bench:generations`). One after another,
 * each on a Temporal dev server of its own (the same binary and flags): three floors (workflows of the
 * generation workflow's shape that do nothing: handlers that answer at once, one no-op activity behind
 * each update, one no-op local activity behind each update; test/bench/floor-workflows.ts), the engine's
 * workflow and ledger started by the clients with the API's own Temporal calls (`workflow`: the engine
 * without its HTTP API), and the engine itself over HTTP (POST /v1/generations, then POST …/complete).
 * Closed-loop clients each run start → complete as fast as answers come, at 32 and then 128 clients, in
 * a process of their own (lifecycle-generator.ts); this process runs the workers and the API. Prints
 * lifecycles/s, p50/p99 of start and complete, history events per lifecycle, the CPU each process spent
 * per lifecycle and PostgreSQL's transactions, the ratios of the engine to each floor (each row's best of
 * BENCH_ROUNDS rounds in alternating order), reconciliation drift, and last one line of JSON. Never
 * asserted anywhere.
 *
 * Needs the local PostgreSQL of the tests (TEST_DATABASE_URL) and the Temporal CLI (scripts/install-
 * tools.sh); it creates and drops its own database. BENCH_DURATION_S (default 10), BENCH_CLIENTS
 * (default 32,128) and BENCH_ROUNDS (default 2) change the runs.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { findDrift } from '../../src/credits/reconcile';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { DEV_SQLITE_PRAGMAS, startDevTemporalServer } from '../../src/dev/temporal-server';
import { freePort } from '../../src/dev/ports';
import { createGenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { temporalExecutable } from '../../src/temporal/executables';
import { createBillingWorker } from '../../src/temporal/worker';
import { databaseUrl, withAdmin } from '../support/postgres';
import type { FloorActivities } from './floor-workflows';
import { childPids, cpuSpent, readCpu, type CpuGroups, type CpuReading } from './cpu-accounting';
import type { LoadOptions, LoadResult, LoadTarget, WindowBegan } from './lifecycle-generator';
import { makeOrgWithKey, NO_RATE_LIMITS } from '../support/fixtures';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '32,128').split(',').map(Number);
/** For profiling one path: BENCH_ROWS=engine runs only that row (the ratios then need every row). */
const ROWS = process.env.BENCH_ROWS?.split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** BENCH_PROFILE=<dir>: a V8 CPU profile of this process's main thread over each measured window. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
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
  /** CPU ms per lifecycle spent by each process (the Temporal server, this process, the clients, PostgreSQL). */
  cpuMsPerLifecycle: Record<string, number>;
  /** PostgreSQL transactions per lifecycle in the bench database: its round trips, as every call autocommits. */
  pgTransactionsPerLifecycle: number;
}

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: Math.round(at(0.5)), p99: Math.round(at(0.99)) };
}

interface Measured {
  result: LoadResult;
  cpu: Record<string, number>;
  pgTransactions: number;
}

/**
 * Runs one row's clients in a forked lifecycle-generator.ts and reads the figures back, with the CPU of
 * every process and the bench database's transactions over the measured window (after the warm-up).
 */
function generateLoad(options: LoadOptions, probe: Probe): Promise<Measured> {
  const child = fork(GENERATOR);
  let before: { cpu: CpuReading; pgTransactions: number } | undefined;
  return new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if ((message as WindowBegan).began) {
        void probe.read().then((r) => (before = r), reject);
        void profiler?.start();
        return;
      }
      const result = message as LoadResult;
      void profiler?.stop(`${options.target.kind}-${options.clients}`);
      // PostgreSQL publishes a backend's counters when it goes idle, at most once a second.
      setTimeout(() => {
        probe.read().then((after) => {
          const cpu = { ...cpuSpent(before!.cpu, after.cpu), clients: result.cpuMs };
          resolve({ result, cpu, pgTransactions: after.pgTransactions - before!.pgTransactions });
        }, reject);
      }, 1100);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`lifecycle generator exited with code ${code}`));
    });
    child.send(options);
  });
}

const profiler = PROFILE_DIR ? windowProfiler(PROFILE_DIR) : undefined;

function windowProfiler(dir: string) {
  const session = new Session();
  session.connect();
  return {
    async start() {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop(name: string) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(`${dir}/${name}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
    },
  };
}

interface Probe {
  read(): Promise<{ cpu: CpuReading; pgTransactions: number }>;
}

function probeOf(db: Db, dbName: string): Probe {
  const groups: CpuGroups = {
    temporal: () => childPids(process.pid, 'temporal'),
    'api+workers': () => [process.pid],
    postgres: async () => {
      const { rows } = await sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity WHERE datname = ${dbName}`.execute(db);
      return rows.map((r) => r.pid);
    },
  };
  return {
    async read() {
      const cpu = await readCpu(groups);
      const { rows } = await sql<{ n: string }>`
        SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = ${dbName}`.execute(
        db,
      );
      return { cpu, pgTransactions: Number(rows[0]?.n ?? 0) };
    },
  };
}

async function row(
  client: Client,
  probe: Probe,
  target: LoadTarget,
  clients: number,
  historyId: (id: string) => string,
) {
  const {
    result: r,
    cpu,
    pgTransactions,
  } = await generateLoad({ target, clients, seconds: DURATION_S, warmup: 5 }, probe);
  const history = r.lastId ? await client.workflow.getHandle(historyId(r.lastId)).fetchHistory() : undefined;
  const perLifecycle = (n: number) => Math.round((n / Math.max(1, r.starts.length)) * 100) / 100;
  const figures: RowFigures = {
    lifecyclesPerSec: Math.round((r.starts.length / r.elapsedSeconds) * 10) / 10,
    lifecycles: r.starts.length,
    errors: r.errors,
    startMs: percentiles(r.starts),
    completeMs: percentiles(r.completes),
    historyEvents: history?.events?.length ?? 0,
    cpuMsPerLifecycle: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, perLifecycle(v)])),
    // The probe's own two readings are transactions too.
    pgTransactionsPerLifecycle: perLifecycle(Math.max(0, pgTransactions - 2)),
  };
  return figures;
}

const round = (n: number): number => Number(n.toPrecision(3));

function printRow(name: string, clients: number, round: number, f: RowFigures): void {
  console.log(
    [
      name.padEnd(14),
      String(clients).padStart(7),
      String(round + 1).padStart(5),
      String(f.lifecyclesPerSec).padStart(7),
      `${f.startMs.p50}/${f.startMs.p99}`.padStart(13),
      `${f.completeMs.p50}/${f.completeMs.p99}`.padStart(16),
      String(f.historyEvents).padStart(6),
      String(f.errors).padStart(6),
      ['temporal', 'api+workers', 'clients', 'postgres']
        .map((k) => String(f.cpuMsPerLifecycle[k] ?? 0).padStart(k.length))
        .join(' ')
        .padStart(55),
      String(f.pgTransactionsPerLifecycle).padStart(5),
    ].join('  '),
  );
}

interface BenchServer {
  client: Client;
  nativeConnection: NativeConnection;
  address: string;
  teardown(): Promise<void>;
}

/**
 * The Temporal dev server every row runs on: in memory, as @temporalio/testing starts it (default), or
 * with BENCH_SERVER=dev as `npm run dev` runs it, on a SQLite file with its pragmas (BENCH_SQLITE_PRAGMAS,
 * comma-separated, `none` for SQLite's defaults).
 */
async function benchServer(): Promise<BenchServer> {
  if (process.env.BENCH_SERVER !== 'dev') {
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: temporalExecutable('temporal'), log: { format: 'pretty', level: 'error' } },
    });
    return { ...env, address: env.address, teardown: () => env.teardown() };
  }
  const dir = await mkdtemp(`${tmpdir()}/layers-bench-temporal-`);
  const pragmas = process.env.BENCH_SQLITE_PRAGMAS;
  const temporal = await startDevTemporalServer({
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    dbFilename: `${dir}/temporal.sqlite`,
    ...(pragmas === undefined ? {} : { sqlitePragmas: pragmas === 'none' ? [] : pragmas.split(',') }),
  });
  const connection = await Connection.connect({ address: temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  console.log(`Temporal dev server on a SQLite file, pragmas: ${pragmas ?? DEV_SQLITE_PRAGMAS.join(',')}`);
  return {
    client: new Client({ connection }),
    nativeConnection,
    address: temporal.address,
    async teardown() {
      await nativeConnection.close();
      await connection.close();
      await temporal.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `workflow` is the engine without its HTTP API: the generation workflow and its ledger calls, started
 * by the clients with the same Temporal calls the API makes. The gap from it to `engine` is what the API
 * costs; the gap from `localActivity` to it, what the workflow and the ledger cost.
 */
type RowName = 'bare' | 'activity' | 'localActivity' | 'workflow' | 'engine';
const ROW_NAMES: RowName[] = ['bare', 'activity', 'localActivity', 'workflow', 'engine'];
const FLOOR_TYPES = { bare: 'bareFloor', activity: 'activityFloor', localActivity: 'localActivityFloor' };
/** The hold timeout of every generation the bench starts, over HTTP or not. */
const HOLD_TIMEOUT_MS = 30 * 60_000;
const floorActivities: FloorActivities = { noop: async (n) => n };
let floorBundle: Promise<WorkflowBundle> | undefined;

interface BenchOrg {
  orgId: string;
  projectId: string;
  apiKey: string;
}

/**
 * One row on a Temporal server of its own (the same binary and flags every time): the dev server keeps
 * every closed workflow in memory and slows as they pile up, so on one shared server whichever row ran
 * later was measured up to a third slower, which says nothing about that row.
 */
async function measureRow(db: Db, probe: Probe, org: BenchOrg, name: RowName, clients: number) {
  const server = await benchServer();
  const taskQueue = `bench-${name}-${randomUUID()}`;
  const connection = server.nativeConnection;
  const worker =
    name === 'engine' || name === 'workflow'
      ? await createBillingWorker({ connection, namespace: 'default', taskQueue, db })
      : await Worker.create({
          connection,
          namespace: 'default',
          taskQueue,
          workflowBundle: await (floorBundle ??= bundleWorkflowCode({ workflowsPath: FLOOR_WORKFLOWS })),
          activities: floorActivities,
        });
  const running = worker.run();
  let app: FastifyInstance | undefined;
  try {
    if (name === 'workflow') {
      const target: LoadTarget = {
        kind: 'workflow',
        temporalAddress: server.address,
        taskQueue,
        orgId: org.orgId,
        projectId: org.projectId,
        holdTimeoutMs: HOLD_TIMEOUT_MS,
      };
      return await row(server.client, probe, target, clients, (id) => generationWorkflowId(org.orgId, id));
    }
    if (name !== 'engine') {
      const target: LoadTarget = {
        kind: 'floor',
        temporalAddress: server.address,
        taskQueue,
        workflowType: FLOOR_TYPES[name],
      };
      return await row(server.client, probe, target, clients, (id) => id);
    }
    const generations = createGenerationClient(server.client, { taskQueue, holdTimeoutMs: HOLD_TIMEOUT_MS });
    // The rate limit would otherwise be what this measures.
    app = buildApi({ db, generations, config: NO_RATE_LIMITS });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const target: LoadTarget = { kind: 'engine', baseUrl, apiKey: org.apiKey, projectId: org.projectId };
    return await row(server.client, probe, target, clients, (id) => generationWorkflowId(org.orgId, id));
  } finally {
    await app?.close();
    worker.shutdown();
    await running;
    await server.teardown();
  }
}

async function main(): Promise<void> {
  const dbName = `layers_bench_generations_${Date.now().toString(36)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const db: Db = createDb(databaseUrl(dbName), { max: 20, applicationName: 'layers-billing-bench' });
  try {
    await migrateToLatest(db);
    const org = await makeOrgWithKey(db, { tier: 'team', prepaid: 1_000_000_000 });
    const figures: Record<string, Record<string, RowFigures>> = {};
    console.log(
      `${DURATION_S}s per run, closed-loop clients in their own process: start -> complete; ` +
        `each run on a Temporal server of its own, best of ${ROUNDS} rounds in alternating order`,
    );
    console.log(
      [
        'path'.padEnd(14),
        'clients',
        'round',
        'lifec/s',
        'start p50/p99',
        'complete p50/p99',
        'events',
        'errors',
        'cpu ms/lifecycle: temporal api+workers clients postgres',
        'pg tx',
      ].join('  '),
    );
    const probe = probeOf(db, dbName);
    const selected = ROW_NAMES.filter((name) => !ROWS || ROWS.includes(name));
    for (const clients of CLIENTS) {
      // Alternating the order spreads whatever drifts on the machine over every row alike.
      for (let round = 0; round < ROUNDS; round++) {
        for (const name of round % 2 === 0 ? selected : [...selected].reverse()) {
          const f = await measureRow(db, probe, org, name, clients);
          const best = figures[name]?.[String(clients)];
          if (!best || f.lifecyclesPerSec > best.lifecyclesPerSec)
            (figures[name] ??= {})[String(clients)] = f;
          printRow(name, clients, round, f);
        }
      }
    }

    const ratios: Record<string, Record<string, number>> = {};
    for (const clients of ROWS ? [] : CLIENTS.map(String)) {
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
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  }
}

await main();
