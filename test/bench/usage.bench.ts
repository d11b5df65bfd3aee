/**
 * npm run bench:usage [-- --seconds N --batch N] — usage events ingested per second at 32 concurrent
 * clients (closed loop: each client sends its next batch when the last one is answered), next to a
 * raw-SQL baseline measured in the same run against the same database:
 *  - engine: POST /v1/usage over HTTP to a real API (Fastify, auth and rate limits on every request,
 *    the batch's JSON schema, src/invoices/usage.ts), each batch one call of usage_record: the INSERT …
 *    SELECT FROM unnest … ON CONFLICT DO NOTHING of every event, once per (org, key). The load comes from
 *    a process of its own (usage-load.ts), so building and reading batches takes no CPU from the API;
 *    it still shares the machine's cores with the API and PostgreSQL;
 *  - raw SQL: the same events (other keys) as one plain multi-row INSERT per batch straight into
 *    usage_events from a pg pool of 32: no HTTP, no validation, no conflict handling.
 * Each client is one org's SDK (its own org and key). Every event must be recorded exactly once: the
 * row count is checked at the end and a shortfall sets a non-zero exit code.
 *
 * The report is built of sections, each printing its lines and adding one key to the last line's JSON:
 *  - `ingest`: the above;
 *  - `invoice`: issuing the invoice of one agency org's period with 100,000 ledger rows in it (50,000
 *    credit captures over 20 projects, 25,000 platform bills of two wallet legs each over 3 platforms),
 *    median of 5 orgs, beside the baseline of the same work's floor in the same database: the plain
 *    GROUP BY queries over the same rows that any invoice must at least run. Rendering the PDF and the
 *    CSV of the result is timed apart.
 * Never run by the tests, and nothing asserts its timings.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { buildApi } from '../../src/api/server';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { closeCreditPeriod } from '../../src/credits/periods';
import { renderInvoiceCsv } from '../../src/invoices/csv';
import { issuePeriodInvoice } from '../../src/invoices/issue';
import { renderInvoicePdf } from '../../src/invoices/pdf';
import { MAX_USAGE_EVENTS_PER_BATCH } from '../../src/invoices/usage-rules';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { databaseUrl, withAdmin } from '../support/postgres';
import { makeOrgWithKey, NO_RATE_LIMITS } from '../support/fixtures';
import type { UsageLoadOptions, UsageLoadResult } from './usage-load';

const CLIENTS = 32;
const WARM_UP_SECONDS = 1;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: String(MAX_USAGE_EVENTS_PER_BATCH) },
  },
});
const SECONDS = Number(args.seconds);
const BATCH = Number(args.batch);
if (!(SECONDS > 0) || !Number.isInteger(BATCH) || BATCH < 1 || BATCH > MAX_USAGE_EVENTS_PER_BATCH) {
  console.error(
    `--seconds must be positive and --batch a whole number from 1 to ${MAX_USAGE_EVENTS_PER_BATCH}`,
  );
  process.exit(2);
}

interface Figures {
  eventsPerSec: number;
  batchesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  events: number;
}

function figures(latenciesMs: number[], events: number, elapsedSeconds: number): Figures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    eventsPerSec: Math.round(events / elapsedSeconds),
    batchesPerSec: Math.round(sorted.length / elapsedSeconds),
    p50Ms: round2(percentile(sorted, 0.5)),
    p99Ms: round2(percentile(sorted, 0.99)),
    events,
  };
}

const percentile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The engine's leg: the load generator's run, in its own process. */
function overHttp(options: UsageLoadOptions): Promise<UsageLoadResult> {
  const child = fork(fileURLToPath(new URL('./usage-load.ts', import.meta.url)));
  return new Promise((resolve, reject) => {
    child.once('message', (result) => resolve(result as UsageLoadResult));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`usage load generator exited with code ${code}`)));
    child.send(options);
  });
}

/** The baseline's leg: CLIENTS loops each inserting its batches as one plain multi-row INSERT. */
async function rawInserts(db: Db, orgIds: string[], label: string, seconds: number): Promise<Figures> {
  const latencies: number[] = [];
  let events = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    orgIds.map(async (orgId, client) => {
      for (let seq = 0; performance.now() < deadline; seq++) {
        const at = new Date();
        const rows = Array.from(
          { length: BATCH },
          (_, i) =>
            sql`(${orgId}, ${`${label}-${client}-${seq}-${i}`}, ${i % 4 === 3 ? 'workflow_runs' : 'sdk_events'}, ${1 + (i % 5)}, ${at})`,
        );
        const from = performance.now();
        await sql`INSERT INTO usage_events (org_id, idempotency_key, metric, quantity, occurred_at)
          VALUES ${sql.join(rows)}`.execute(db);
        latencies.push(performance.now() - from);
        events += BATCH;
      }
    }),
  );
  return figures(latencies, events, (performance.now() - started) / 1000);
}

interface Context {
  db: Db;
  baseUrl: string;
  orgs: { orgId: string; apiKey: string }[];
}

/** A section of the report: prints its lines and returns its key of the last line's JSON. */
type Section = (ctx: Context) => Promise<Record<string, unknown>>;

const ingest: Section = async ({ db, baseUrl, orgs }) => {
  const apiKeys = orgs.map((o) => o.apiKey);
  const orgIds = orgs.map((o) => o.orgId);
  // Warm-up: JIT, the pools full, usage_record planned on every connection.
  await overHttp({ baseUrl, apiKeys, batch: BATCH, seconds: WARM_UP_SECONDS, label: 'warm-api' });
  await rawInserts(db, orgIds, 'warm-raw', WARM_UP_SECONDS);

  const raw = await rawInserts(db, orgIds, 'raw', SECONDS);
  const run = await overHttp({ baseUrl, apiKeys, batch: BATCH, seconds: SECONDS, label: 'api' });
  if (run.failures > 0) {
    console.error(`${run.failures} batches were not recorded in full; first: ${run.firstFailure}`);
    process.exitCode = 1;
  }
  const eng = figures(run.latenciesMs, run.events, run.elapsedSeconds);
  const ratio = round2(eng.eventsPerSec / raw.eventsPerSec);
  console.log(
    `ingest    engine ${eng.eventsPerSec} events/s (${eng.batchesPerSec} batches/s, p50 ${eng.p50Ms} ms, ` +
      `p99 ${eng.p99Ms} ms per batch) | raw INSERT ${raw.eventsPerSec} events/s (${raw.batchesPerSec} ` +
      `batches/s, p50 ${raw.p50Ms} ms, p99 ${raw.p99Ms} ms) | ratio ${ratio}`,
  );
  const { n } = await db
    .selectFrom('usage_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('idempotency_key', 'like', 'api-%')
    .executeTakeFirstOrThrow();
  const lost = eng.events - Number(n);
  console.log(
    `ingest    ${n} engine events in usage_events for ${eng.events} answered recorded (${lost} missing)`,
  );
  if (lost !== 0) process.exitCode = 1;
  return {
    headline: 'ratio = engine events/s over HTTP / raw multi-row INSERT events/s (the same events)',
    engine: eng,
    raw,
    ratio,
    eventsMissing: lost,
  };
};

const INVOICE_ORGS = 5;
const CAPTURES = 50_000;
const BILLS = 25_000;
const PROJECTS = 20;
const PERIOD = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-01T00:00:00Z') };

/** One agency org with its period's 100,000 ledger rows written in bulk, then its credit period closed. */
async function bulkPeriod(db: Db, n: number): Promise<string> {
  const org = await createOrganization(db, {
    name: `Bench ${n}`,
    tier: 'team',
    mode: 'agency',
    anchor: PERIOD.start,
  });
  const projects = [org.projectId];
  for (let i = 1; i < PROJECTS; i++) projects.push((await createProject(db, org.orgId, `P${i}`)).projectId);
  // Captures as the ledger function writes them (deltas only: the balance row is not the point here).
  await sql`
    INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
        included_delta, prepaid_delta, reserved_delta, used_delta, overage_delta)
    SELECT ${org.orgId}, 'capture', 'bench-capture:' || g, 'gen_' || g, (${projects}::text[])[1 + g % ${PROJECTS}],
        -(g % 7), -(g % 3), 0, (g % 7) + (g % 3) + (g % 5), g % 5
      FROM generate_series(1, ${CAPTURES}) g`.execute(db);
  await sql`
    WITH bills AS (
      SELECT g, (${projects}::text[])[1 + g % ${PROJECTS}] AS project,
        (ARRAY['meta', 'tiktok', 'google'])[1 + g % 3] AS platform, 100 + g % 900 AS spend,
        ${PERIOD.start}::timestamptz + (g * interval '100 seconds') AS at
      FROM generate_series(1, ${BILLS}) g),
    debits AS (
      INSERT INTO wallet_debits (org_id, platform, external_id, project_id, spend_cents, fee_cents, fee_bps,
          occurred_at, balance_after_cents, crossed_threshold, crossed_floor)
        SELECT ${org.orgId}, platform, 'bench-bill-' || g, project, spend, spend / 20, 500, at, 0, false, false
        FROM bills)
    INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, project_id, platform,
        external_id, effective_at)
      SELECT ${org.orgId}, kind, 'bench-' || kind || ':' || g, CASE kind WHEN 'spend' THEN -spend ELSE -(spend / 20) END,
        project, platform, 'bench-bill-' || g, at
      FROM bills, unnest(ARRAY['spend', 'fee']) kind`.execute(db);
  await closeCreditPeriod(db, {
    orgId: org.orgId,
    periodStart: PERIOD.start,
    at: PERIOD.end,
    nextPeriodEnd: new Date('2026-05-01T00:00:00Z'),
    allowance: 0,
    rollover: { days: 0, cap: 0 },
  });
  return org.orgId;
}

/** The floor: the period's rows grouped as the invoice groups them, and nothing else. */
async function floorQueries(db: Db, orgId: string): Promise<void> {
  await sql`SELECT project_id, sum(included_delta), sum(prepaid_delta), sum(overage_delta) FROM credit_ledger
    WHERE org_id = ${orgId} AND entry_type = 'capture' GROUP BY project_id`.execute(db);
  await sql`SELECT project_id, platform, count(*), sum(spend_cents), sum(fee_cents) FROM wallet_debits
    WHERE org_id = ${orgId} AND occurred_at >= ${PERIOD.start} AND occurred_at < ${PERIOD.end}
    GROUP BY project_id, platform`.execute(db);
  await sql`SELECT sum(balance_delta) FROM wallet_ledger WHERE org_id = ${orgId} AND effective_at < ${PERIOD.end}`.execute(
    db,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timedMs = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

const invoice: Section = async ({ db }) => {
  const orgIds: string[] = [];
  for (let i = 0; i < INVOICE_ORGS + 1; i++) orgIds.push(await bulkPeriod(db, i));
  await sql`ANALYZE credit_ledger, wallet_debits, wallet_ledger`.execute(db);
  // The first org warms the code paths (and is not counted).
  const issueMs: number[] = [];
  const floorMs: number[] = [];
  const pdfMs: number[] = [];
  const csvMs: number[] = [];
  let lines = 0;
  for (const [i, orgId] of orgIds.entries()) {
    const f = await timedMs(() => floorQueries(db, orgId));
    let issued: Awaited<ReturnType<typeof issuePeriodInvoice>> | undefined;
    const ms = await timedMs(async () => {
      issued = await issuePeriodInvoice(db, {
        orgId,
        periodStart: PERIOD.start,
        periodEnd: PERIOD.end,
        at: PERIOD.end,
      });
    });
    const pdf = await timedMs(() => renderInvoicePdf(issued!.invoice));
    const csv = await timedMs(async () => renderInvoiceCsv(issued!.invoice));
    if (i === 0) continue;
    floorMs.push(f);
    issueMs.push(ms);
    pdfMs.push(pdf);
    csvMs.push(csv);
    lines = issued!.invoice.lines.length;
  }
  const result = {
    headline: 'ratio = issuing the invoice (read legs, assemble, number, store) / the floor GROUP BY queries',
    ledgerRowsPerPeriod: CAPTURES + 2 * BILLS,
    lines,
    issueMs: round2(median(issueMs)),
    floorMs: round2(median(floorMs)),
    ratio: round2(median(issueMs) / median(floorMs)),
    pdfMs: round2(median(pdfMs)),
    csvMs: round2(median(csvMs)),
  };
  console.log(
    `invoice   ${result.ledgerRowsPerPeriod} ledger rows, ${lines} lines: issued in ${result.issueMs} ms | floor ` +
      `${result.floorMs} ms | ratio ${result.ratio} | PDF ${result.pdfMs} ms, CSV ${result.csvMs} ms (medians of ${INVOICE_ORGS})`,
  );
  return result;
};

const SECTIONS: Record<string, Section> = { ingest, invoice };

async function main(): Promise<void> {
  const name = `layers_bench_usage_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const db = createDb(databaseUrl(name), { max: CLIENTS, applicationName: 'layers-billing-bench' });
  const app = buildApi({ db, generations: undefined as never, config: NO_RATE_LIMITS });
  try {
    await migrateToLatest(db);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const orgs = await Promise.all(
      Array.from({ length: CLIENTS }, () => makeOrgWithKey(db, { tier: 'team' })),
    );
    console.log(`${CLIENTS} clients, batches of ${BATCH} events, ${SECONDS} s per leg`);
    const results: Record<string, unknown> = {};
    for (const [section, run] of Object.entries(SECTIONS))
      results[section] = await run({ db, baseUrl, orgs });
    console.log(
      JSON.stringify({ bench: 'usage', clients: CLIENTS, batch: BATCH, seconds: SECONDS, ...results }),
    );
  } finally {
    await app.close();
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

await main();
