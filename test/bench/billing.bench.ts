/**
 * Period closes at scale (`npm run bench:billing`): BENCH_BILLING_ORGS orgs (default 10,000) whose
 * anniversaries fall in the same minute (the same second, the worst case), each with its org-billing workflow running on one Temporal dev
 * server and one worker in this process. Measures the time from that minute until every org's credit
 * period is closed (its credit_periods row written, the next allowance granted, the workflow continued
 * as new), against a baseline measured in the same run: the same ledger writes (credits_close_period and
 * the subscription's read-model row) issued as raw SQL by 32 concurrent connections, for as many orgs.
 * Prints both, their ratio, reconciliation drift, and last one line of JSON. Never asserted anywhere.
 *
 * The orgs are on the free tier (no subscription price): the close is the work measured, not Stripe,
 * which localstripe serves one request at a time. Needs the local PostgreSQL of the tests
 * (TEST_DATABASE_URL) and the Temporal CLI (scripts/install-tools.sh); creates and drops its database.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { billingInputFor, createBillingClient } from '../../src/billing/client';
import { periodBoundary } from '../../src/billing/period';
import { rolloverPolicy } from '../../src/billing/rollover';
import { saveSubscription } from '../../src/billing/subscriptions';
import { periodCloseKey } from '../../src/credits/ids';
import { findDrift } from '../../src/credits/reconcile';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { createOrganization } from '../../src/orgs/orgs';
import { temporalExecutable } from '../../src/temporal/executables';
import { createBillingWorker } from '../../src/temporal/worker';
import { databaseUrl, withAdmin } from '../support/postgres';

const ORGS = Number(process.env.BENCH_BILLING_ORGS ?? 10_000);
const CONCURRENCY = 32;

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

/** Runs `fn` over `items` with `CONCURRENCY` in flight. */
async function pool<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Orgs whose first credit period ends at `end`, all of them: the worst a minute of anniversaries can be. */
async function orgsEndingAt(db: Db, end: Date, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: count }, (_, i) => i),
    async (i) => {
      const anchor = periodBoundary(end, -1);
      const org = await createOrganization(db, { name: `${label} ${i}`, tier: 'free', anchor });
      ids.push(org.orgId);
    },
  );
  return ids;
}

const closedCount = async (db: Db, orgIds: string[]): Promise<number> => {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM credit_periods WHERE org_id = ANY(${orgIds})`.execute(db);
  return Number(rows[0]!.n);
};

/** The baseline: what one close writes, straight to PostgreSQL, with no workflow around it. */
async function rawCloses(db: Db, orgIds: string[]): Promise<number> {
  const policy = rolloverPolicy('free');
  const started = performance.now();
  await pool(orgIds, async (orgId) => {
    const b = await db
      .selectFrom('credit_balances')
      .innerJoin('organizations', 'organizations.id', 'credit_balances.org_id')
      .select(['period_start', 'period_end', 'billing_anchor'])
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    const nextEnd = periodBoundary(b.billing_anchor, 2);
    await sql`SELECT outcome FROM credits_close_period(${orgId}, ${b.period_start}, ${b.period_end},
      ${nextEnd}, ${0}, ${policy.rolloverDays}, ${policy.rolloverCap}, ${periodCloseKey(orgId, b.period_start)})`.execute(
      db,
    );
    await saveSubscription(db, {
      orgId,
      tier: 'free',
      interval: 'month',
      seats: 1,
      status: 'active',
      anchor: b.billing_anchor,
      period: { start: b.period_end, end: nextEnd },
      scheduledChange: null,
      cancelAtPeriodEnd: false,
      changedAt: b.period_end,
    });
  });
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dbName = `layers_bench_billing_${Date.now().toString(36)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const db = createDb(databaseUrl(dbName), { max: 40, applicationName: 'layers-billing-bench' });
  let env: TestWorkflowEnvironment | undefined;
  try {
    await migrateToLatest(db);
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: temporalExecutable('temporal'), log: { format: 'pretty', level: 'error' } },
    });
    const taskQueue = `bench-billing-${randomUUID()}`;
    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      db,
    });
    const billing = createBillingClient({ client: env.client, taskQueue });

    // The baseline first, on orgs of its own whose periods have already ended.
    const pastEnd = new Date(Date.now() - 60 * 60 * 1000);
    const baselineOrgs = await orgsEndingAt(db, pastEnd, ORGS, 'baseline');
    const baselineSeconds = await rawCloses(db, baselineOrgs);

    // Far enough ahead for every workflow to be started and waiting when the minute comes.
    const setupStarted = performance.now();
    const minute = new Date(Date.now() + 30_000 + ORGS * 6);
    const orgIds = await orgsEndingAt(db, minute, ORGS, 'bench');
    const figures = await worker.runUntil(async () => {
      await pool(orgIds, async (orgId) => billing.start(await billingInputFor(db, orgId)));
      const setupSeconds = (performance.now() - setupStarted) / 1000;
      const waitMs = minute.getTime() - Date.now();
      if (waitMs < 0)
        console.log(`setup ran ${Math.round(-waitMs / 1000)} s past the minute: closes overlapped it`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
      const from = performance.now();
      while ((await closedCount(db, orgIds)) < orgIds.length) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return { setupSeconds, closeSeconds: (performance.now() - from) / 1000 };
    });
    // When each close committed, after the minute: a steady rate or bursts and gaps say what bounds it.
    const { rows: lag } = await sql<{ p50: number; p90: number; p99: number }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99
        FROM (SELECT extract(epoch FROM created_at - ${minute}::timestamptz) AS s FROM credit_ledger
               WHERE entry_type = 'period_close' AND org_id = ANY(${orgIds})) t`.execute(db);
    const drift = await findDrift(db);

    const engineRate = ORGS / figures.closeSeconds;
    const baselineRate = ORGS / baselineSeconds;
    const result = {
      bench: 'billing',
      orgs: ORGS,
      engine: {
        secondsFromTheMinuteToTheLastClose: round(figures.closeSeconds),
        closesPerSec: round(engineRate),
        setupSeconds: round(figures.setupSeconds),
        closeCommittedAfterTheMinuteSeconds: {
          p50: round(Number(lag[0]!.p50)),
          p90: round(Number(lag[0]!.p90)),
          p99: round(Number(lag[0]!.p99)),
        },
      },
      baseline: {
        seconds: round(baselineSeconds),
        closesPerSec: round(baselineRate),
        connections: CONCURRENCY,
      },
      ratioToBaseline: round(engineRate / baselineRate),
      ledgerDrift: drift.length,
    };
    console.log(
      `${ORGS} orgs, one minute's anniversaries: every period closed ${result.engine.secondsFromTheMinuteToTheLastClose} s ` +
        `after the minute (${result.engine.closesPerSec} closes/s); raw SQL, same writes: ${result.baseline.seconds} s ` +
        `(${result.baseline.closesPerSec}/s); engine/baseline ${result.ratioToBaseline}; drift ${drift.length}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await env?.teardown();
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

await main();
