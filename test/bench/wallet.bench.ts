/**
 * npm run bench:wallet [-- --seconds N] — ad-spend debits per second at 32 concurrent clients (closed
 * loop: each client sends its next bill when the last one is answered), for one hot org and for 1,000
 * orgs, next to a raw-SQL baseline measured in the same run on the same pool:
 *  - engine: recordSpend (src/wallet/ledger.ts), one call of wallet_record_spend: the wallet row's lock,
 *    the idempotency lookup, the project check, the debit row and its two ledger legs (spend + fee);
 *  - raw SQL: the same writes in one transaction and no function: the wallet UPDATE … RETURNING, the
 *    debit row, the two ledger legs. No idempotency lookup and no project check, but five round trips
 *    (BEGIN, three statements, COMMIT) against the engine's one, with the wallet row locked across them:
 *    a ratio above 1 is that, most of all for the hot org.
 * Both record real bills on the same agency orgs (under external ids of their own), so wallet
 * reconciliation must find zero drift over everything at the end; drift sets a non-zero exit code.
 * Each phase runs for --seconds (default 10) after a short warm-up. Prints a last line of JSON. Never run
 * by the tests, and nothing asserts its timings.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { platformFeeCents } from '../../src/wallet/fees';
import { debitFeeKey, debitSpendKey } from '../../src/wallet/ids';
import { creditWire, recordSpend } from '../../src/wallet/ledger';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { AD_PLATFORMS } from '../../src/wallet/statuses';
import { databaseUrl, withAdmin } from '../support/postgres';

const CLIENTS = 32;
const WARM_UP_SECONDS = 1;
// The most one wire may credit: far more than a phase spends, so no org nears its floor (a crossing
// would be recorded all the same; it just is not what is measured).
const FUNDING_CENTS = 1_000_000_000;

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } });
const SECONDS = Number(args.seconds);
if (!(SECONDS > 0)) {
  console.error('--seconds must be a positive number');
  process.exit(2);
}

type Org = { orgId: string; projectIds: string[] };
interface Bill {
  org: Org;
  projectId: string;
  platform: (typeof AD_PLATFORMS)[number];
  spendCents: number;
  externalId: string;
  occurredAt: Date;
}
type Debit = (bill: Bill) => Promise<void>;

const engine: (db: Db) => Debit = (db) => async (bill) => {
  const r = await recordSpend(db, { ...bill, orgId: bill.org.orgId, amountCents: bill.spendCents });
  if (r.duplicate) throw new Error(`bill ${bill.externalId} was recorded twice`);
};

/**
 * The same rows wallet_record_spend writes, as plain statements. The fee is the wallet's own rate, read
 * from the row the UPDATE locks, with the rule of wallet_fee_cents (platformFeeCents in TypeScript).
 */
const rawSql: (db: Db) => Debit = (db) => async (bill) => {
  const { org, projectId, platform, spendCents: spend, externalId, occurredAt } = bill;
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{
      balance_cents: number;
      platform_fee_bps: number;
      floor_cents: number;
      auto_top_up_threshold_cents: number;
      auto_top_up_on: boolean;
    }>`UPDATE wallets SET balance_cents = balance_cents - ${spend} - (2 * ${spend}::bigint * platform_fee_bps + 10000) / 20000,
           updated_at = now()
        WHERE org_id = ${org.orgId}
      RETURNING balance_cents, platform_fee_bps, floor_cents, auto_top_up_threshold_cents,
        auto_top_up_enabled AND auto_top_up_disabled_reason IS NULL AS auto_top_up_on`.execute(trx);
    const w = rows[0];
    if (!w) throw new Error(`no wallet for ${org.orgId}`);
    const fee = platformFeeCents(spend, w.platform_fee_bps);
    const before = w.balance_cents + spend + fee;
    await sql`INSERT INTO wallet_debits (org_id, platform, external_id, project_id, spend_cents, fee_cents, fee_bps,
        occurred_at, balance_after_cents, crossed_threshold, crossed_floor)
      VALUES (${org.orgId}, ${platform}, ${externalId}, ${projectId}, ${spend}, ${fee}, ${w.platform_fee_bps},
        ${occurredAt}, ${w.balance_cents},
        ${w.auto_top_up_on && before >= w.auto_top_up_threshold_cents && w.balance_cents < w.auto_top_up_threshold_cents},
        ${before >= w.floor_cents && w.balance_cents < w.floor_cents})`.execute(trx);
    await sql`INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, project_id, platform,
        external_id, effective_at, detail)
      VALUES
        (${org.orgId}, 'spend', ${debitSpendKey(platform, externalId)}, ${-spend}, ${projectId}, ${platform},
          ${externalId}, ${occurredAt}, NULL),
        (${org.orgId}, 'fee', ${debitFeeKey(platform, externalId)}, ${-fee}, ${projectId}, ${platform},
          ${externalId}, ${occurredAt}, ${JSON.stringify({ feeBps: w.platform_fee_bps, spendCents: spend })})`.execute(
      trx,
    );
  });
};

let billSeq = 0;

/** The i-th bill of a phase: orgs, projects and platforms in turn, amounts that vary the fee's rounding. */
function billFor(orgs: Org[], i: number, leg: string): Bill {
  const org = orgs[i % orgs.length]!;
  return {
    org,
    projectId: org.projectIds[Math.floor(i / orgs.length) % org.projectIds.length]!,
    platform: AD_PLATFORMS[i % AD_PLATFORMS.length]!,
    spendCents: 1_000 + (i % 97),
    externalId: `${leg}-${++billSeq}`,
    occurredAt: new Date(),
  };
}

interface Figures {
  debitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  debits: number;
}

/** CLIENTS loops recording bills back to back for `seconds`; every latency is kept for the percentiles. */
async function measure(orgs: Org[], leg: string, debit: Debit, seconds: number): Promise<Figures> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = c; performance.now() < deadline; i += CLIENTS) {
        const from = performance.now();
        await debit(billFor(orgs, i, leg));
        latencies.push(performance.now() - from);
      }
    }),
  );
  // The loops stop at the deadline but finish the bill in flight: the rate counts the time they took.
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    debitsPerSec: Math.round(latencies.length / elapsed),
    p50Ms: round2(percentile(latencies, 0.5)),
    p99Ms: round2(percentile(latencies, 0.99)),
    debits: latencies.length,
  };
}

const percentile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** Agency orgs with two projects each, funded by a wire; CLIENTS at a time, so 1,000 take seconds. */
async function makeOrgs(db: Db, n: number, label: string): Promise<Org[]> {
  const orgs: Org[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, CLIENTS) }, async () => {
      while (next < n) {
        const i = next++;
        const o = await createOrganization(db, { name: `${label} ${i}`, tier: 'pro', mode: 'agency' });
        const { projectId } = await createProject(db, o.orgId, 'Second');
        await creditWire(db, {
          orgId: o.orgId,
          amountCents: FUNDING_CENTS,
          reference: `bench-${o.orgId}`,
          at: new Date(),
        });
        orgs.push({ orgId: o.orgId, projectIds: [o.projectId, projectId] });
      }
    }),
  );
  return orgs;
}

async function main(): Promise<void> {
  const name = `layers_bench_wallet_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const db = createDb(databaseUrl(name), { max: CLIENTS, applicationName: 'layers-billing-bench' });
  try {
    await migrateToLatest(db);
    const hot = await makeOrgs(db, 1, 'hot');
    const many = await makeOrgs(db, 1000, 'bench');
    const results: Record<string, Record<string, number>> = {};
    let recorded = 0;
    for (const [scenario, orgs] of [
      ['hotOrg', hot],
      ['orgs1000', many],
    ] as const) {
      // Warm-up: the pool full, both legs' statements planned on every connection.
      for (const [leg, debit] of [
        ['engine', engine(db)],
        ['raw', rawSql(db)],
      ] as const) {
        recorded += (await measure(orgs, `warm-${leg}`, debit, WARM_UP_SECONDS)).debits;
      }
      const raw = await measure(orgs, 'raw', rawSql(db), SECONDS);
      const eng = await measure(orgs, 'engine', engine(db), SECONDS);
      recorded += raw.debits + eng.debits;
      const ratio = round2(eng.debitsPerSec / raw.debitsPerSec);
      results[scenario] = {
        engineDebitsPerSec: eng.debitsPerSec,
        engineP50Ms: eng.p50Ms,
        engineP99Ms: eng.p99Ms,
        rawDebitsPerSec: raw.debitsPerSec,
        rawP50Ms: raw.p50Ms,
        rawP99Ms: raw.p99Ms,
        ratio,
      };
      console.log(
        `${scenario.padEnd(9)} engine ${eng.debitsPerSec} debits/s (p50 ${eng.p50Ms} ms, p99 ${eng.p99Ms} ms) | ` +
          `raw SQL ${raw.debitsPerSec} debits/s (p50 ${raw.p50Ms} ms, p99 ${raw.p99Ms} ms) | ratio ${ratio}`,
      );
    }
    const drift = await findWalletDrift(db);
    const { n: debitRows } = await db
      .selectFrom('wallet_debits')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const lost = recorded - Number(debitRows);
    console.log(
      `reconciliation: ${drift.length} drift over ${hot.length + many.length} wallets, ` +
        `${debitRows} debits recorded (${lost} missing)`,
    );
    if (drift.length > 0 || lost !== 0) process.exitCode = 1;
    console.log(
      JSON.stringify({
        bench: 'wallet',
        clients: CLIENTS,
        seconds: SECONDS,
        headline: 'ratio = engine debits/s / raw-SQL debits/s (the same debit row and two ledger legs)',
        ...results,
        debitsRecorded: Number(debitRows),
        ledgerDrift: drift.length,
      }),
    );
  } finally {
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
await main();
