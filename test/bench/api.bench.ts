/**
 * HTTP benchmark of the partner API (`npm run bench:api`): autocannon drives GET /v1/credits and
 * POST /v1/generations at 50 and 200 connections, and GET /healthz of the same server as the baseline
 * (same process, same Fastify, no auth and no I/O). Prints req/s, p50 and p99 per run and, last, one
 * line of JSON with the figures and their ratios to the baseline. Never asserted anywhere.
 *
 * Needs the local PostgreSQL of the tests (TEST_DATABASE_URL) and the Temporal CLI's dev server
 * (scripts/install-tools.sh); it creates and drops its own database.
 *
 * The load generator runs in a process of its own (load-generator.ts), every route the same way; it
 * still shares the machine's cores with the server and PostgreSQL, so on a small machine the figures
 * are those of all three together. BENCH_LOAD_GENERATOR=thread runs it in a worker thread of this
 * process instead, as the first versions of this benchmark did.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import autocannon from 'autocannon';
import { buildApi } from '../../src/api/server';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb } from '../../src/db/pool';
import { createGenerationClient } from '../../src/generations/client';
import { temporalExecutable } from '../../src/temporal/executables';
import { createBillingWorker } from '../../src/temporal/worker';
import { databaseUrl, withAdmin } from '../support/postgres';
import { makeOrgWithKey, NO_RATE_LIMITS } from '../support/fixtures';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = [50, 200];
const LOAD_GENERATOR = process.env.BENCH_LOAD_GENERATOR === 'thread' ? 'thread' : 'process';

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

interface Figures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

type Target = { name: string; path: string } & Pick<
  autocannon.Options,
  'method' | 'headers' | 'body' | 'idReplacement'
>;

async function load(
  baseUrl: string,
  target: Target,
  connections: number,
  duration: number,
): Promise<Figures> {
  const options: autocannon.Options = {
    url: `${baseUrl}${target.path}`,
    method: target.method,
    headers: target.headers,
    body: target.body,
    // `[<id>]` in the request (the Idempotency-Key) becomes a fresh id for every request. Only where
    // needed: it makes autocannon rebuild every request, load-generator CPU taken from the server.
    idReplacement: target.idReplacement ?? false,
    connections,
    duration,
  };
  const result =
    LOAD_GENERATOR === 'thread'
      ? await autocannon({ ...options, workers: 1 })
      : await inChildProcess(options);
  return {
    reqPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function inChildProcess(options: autocannon.Options): Promise<autocannon.Result> {
  const child = fork(fileURLToPath(new URL('./load-generator.ts', import.meta.url)));
  return new Promise((resolve, reject) => {
    child.once('message', (result) => resolve(result as autocannon.Result));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load generator exited with code ${code}`)));
    child.send(options);
  });
}

/** Three significant digits: a 0.0015 throughput ratio must not print as 0. */
const round = (n: number): number => Number(n.toPrecision(3));

async function main(): Promise<void> {
  const dbName = `layers_bench_api_${Date.now().toString(36)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const db = createDb(databaseUrl(dbName), { max: 20, applicationName: 'layers-billing-bench' });
  let env: TestWorkflowEnvironment | undefined;
  try {
    await migrateToLatest(db);
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: temporalExecutable('temporal'), log: { format: 'pretty', level: 'error' } },
    });
    const taskQueue = `bench-${randomUUID()}`;
    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      db,
    });
    const running = worker.run();
    try {
      const client = createGenerationClient(env.client, { taskQueue, holdTimeoutMs: 30 * 60 * 1000 });
      // A request whose caller (autocannon) has gone away still runs its workflow start to the end;
      // count them so nothing is torn down under one.
      let inFlight = 0;
      const generations: typeof client = {
        ...client,
        async start(input) {
          inFlight++;
          try {
            return await client.start(input);
          } finally {
            inFlight--;
          }
        },
      };
      // The rate limit would otherwise be what this measures.
      const app = buildApi({
        db,
        generations,
        temporalClient: env.client,
        config: NO_RATE_LIMITS,
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

      const org = await makeOrgWithKey(db, { tier: 'team', prepaid: 1_000_000_000 });
      const { apiKey } = org;
      const auth = { authorization: `Bearer ${apiKey}` };

      const targets: Target[] = [
        { name: 'GET /healthz (baseline)', method: 'GET', path: '/healthz' },
        { name: 'GET /v1/credits', method: 'GET', path: '/v1/credits', headers: auth },
        {
          name: 'POST /v1/generations',
          method: 'POST',
          path: '/v1/generations',
          headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'bench-[<id>]' },
          idReplacement: true,
          body: JSON.stringify({ projectId: org.projectId, format: 'slideshow_builder' }),
        },
      ];

      // Warm-up: JIT, connection pools, the workflow bundle's first tasks.
      for (const target of targets) await load(baseUrl, target, 10, 1);

      const figures: Record<string, Record<string, Figures>> = {};
      console.log(
        `${DURATION_S}s per run; the load generator runs in ${
          LOAD_GENERATOR === 'thread' ? 'a worker thread of this process' : 'a process of its own'
        }`,
      );
      console.log(
        [
          'route'.padEnd(26),
          'conns',
          'req/s'.padStart(8),
          'p50 ms'.padStart(8),
          'p99 ms'.padStart(8),
          'non2xx'.padStart(7),
        ].join(' '),
      );
      for (const connections of CONNECTIONS) {
        for (const target of targets) {
          const f = await load(baseUrl, target, connections, DURATION_S);
          (figures[target.name] ??= {})[String(connections)] = f;
          console.log(
            [
              target.name.padEnd(26),
              String(connections).padStart(5),
              String(f.reqPerSec).padStart(8),
              String(f.p50Ms).padStart(8),
              String(f.p99Ms).padStart(8),
              String(f.non2xx + f.errors).padStart(7),
            ].join(' '),
          );
        }
      }

      const baseline = figures[targets[0]!.name]!;
      const ratios: Record<string, Record<string, { throughput: number; p50: number; p99: number }>> = {};
      for (const target of targets.slice(1)) {
        for (const connections of CONNECTIONS.map(String)) {
          const f = figures[target.name]![connections]!;
          const b = baseline[connections]!;
          (ratios[target.name] ??= {})[connections] = {
            throughput: round(f.reqPerSec / b.reqPerSec),
            // autocannon's latencies are whole milliseconds: a 0 means under 1 ms, not 0.01.
            p50: round(f.p50Ms / Math.max(b.p50Ms, 1)),
            p99: round(f.p99Ms / Math.max(b.p99Ms, 1)),
          };
        }
      }
      await app.close();
      for (const deadline = Date.now() + 120_000; inFlight > 0 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(
        JSON.stringify({
          bench: 'api',
          durationSeconds: DURATION_S,
          loadGenerator: LOAD_GENERATOR,
          baseline: targets[0]!.name,
          figures,
          ratios,
        }),
      );
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await env?.teardown();
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  }
}

await main();
