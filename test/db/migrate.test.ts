import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, functionScripts } from '../../src/db/functions/index';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations/index';
import { createDb, type Db } from '../../src/db/pool';
import { applyRepeatable, lockRepeatable, sha256, type RepeatableScript } from '../../src/db/repeatable';
import { applySeed } from '../../src/db/seed/apply';
import { GENERATION_FORMAT_ROWS, TIERS, usageAllowanceRows } from '../../src/db/seed/catalog';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

const functionsDir = new URL('../../src/db/functions/', import.meta.url);
const FUNCTION_NAMES = FUNCTIONS.map((f) => `functions/${f}.sql`);

/** The repeatable step alone, as migrateToLatest runs it: one transaction, under the lock. */
const applyScripts = (db: Db, scripts: RepeatableScript[]) =>
  db.transaction().execute(async (trx) => {
    await lockRepeatable(trx);
    return applyRepeatable(trx, scripts);
  });

const recordedHashes = async (db: Db) =>
  Object.fromEntries(
    (
      await sql<{
        name: string;
        sha256: string;
      }>`SELECT name, sha256 FROM repeatable_migrations ORDER BY name`.execute(db)
    ).rows.map((r) => [r.name, r.sha256]),
  );

/** Every overload of the ledger functions, as `name(argument types)`. */
const ledgerOverloads = async (db: Db) =>
  (
    await sql<{ signature: string }>`
      SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.proname = ANY(${[...FUNCTIONS]})
       ORDER BY signature
    `.execute(db)
  ).rows.map((r) => r.signature);

describe('the function files', () => {
  it('are exactly the ones listed, so none is skipped or missing', () => {
    const onDisk = readdirSync(functionsDir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.slice(0, -'.sql'.length))
      .sort();
    expect([...FUNCTIONS].sort()).toEqual(onDisk);
  });

  it('are read relative to their module, whatever the working directory', () => {
    const cwd = process.cwd();
    process.chdir('/');
    try {
      const scripts = functionScripts();
      expect(scripts.map((s) => s.name)).toEqual(FUNCTION_NAMES);
      expect(scripts[4]!.sql).toBe(readFileSync(new URL('credits_reserve.sql', functionsDir), 'utf8'));
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('migrateToLatest', () => {
  it('has recorded every function file with the hash of its content', async () => {
    expect(await recordedHashes(t.db)).toEqual(
      Object.fromEntries(functionScripts().map((s) => [s.name, sha256(s.sql)])),
    );
  });

  it('leaves one overload of each ledger function: the old signatures of the first migration are gone', async () => {
    expect(await ledgerOverloads(t.db)).toEqual([
      'credit_grants_expire(p_org text, p_at timestamp with time zone, p_all boolean)',
      'credit_grants_spend(p_org text, p_amount bigint)',
      'credit_ledger_is_append_only()',
      'credit_period_json(p credit_periods)',
      'credit_snapshot(p_org text)',
      'credit_snapshot_json(b credit_balances, p_tier text, p_status text, p_formats jsonb)',
      'credits_capture(p_org text, p_generation text, p_actual bigint, p_model text, p_key text, p_expire_key text)',
      'credits_close_period(p_org text, p_period_start timestamp with time zone, p_at timestamp with time zone, p_next_end timestamp with time zone, p_allowance bigint, p_rollover_days integer, p_rollover_cap bigint, p_key text)',
      'credits_expire_grants(p_org text, p_at timestamp with time zone, p_key text)',
      'credits_grant(p_org text, p_bucket text, p_amount bigint, p_key text, p_reason text)',
      'credits_release(p_org text, p_generation text, p_kind text, p_reason text, p_key text, p_expire_key text)',
      'credits_reserve(p_org text, p_project text, p_generation text, p_format text, p_key text)',
      'credits_revoke_included(p_org text, p_key text, p_at timestamp with time zone)',
      'credits_set_allowance(p_org text, p_allowance bigint, p_key text, p_at timestamp with time zone)',
      'format_estimates()',
      'usage_events_is_append_only()',
      'usage_record(p_org text, p_keys text[], p_metrics text[], p_quantities bigint[], p_occurred timestamp with time zone[])',
      'wallet_add_top_up(p_org text, p_key text, p_start_key text, p_method text, p_trigger text, p_amount bigint, p_local_day date, p_expected date, p_at timestamp with time zone)',
      'wallet_claim_auto_top_up(p_org text, p_local_day date, p_amount bigint, p_key text, p_start_key text, p_at timestamp with time zone)',
      'wallet_credit_wire(p_org text, p_amount bigint, p_reference text, p_local_day date, p_key text, p_ledger_key text, p_at timestamp with time zone)',
      'wallet_fee_cents(p_spend bigint, p_bps integer)',
      'wallet_ledger_is_append_only()',
      'wallet_missing(p_org text)',
      'wallet_record_spend(p_org text, p_platform text, p_project text, p_spend bigint, p_occurred_at timestamp with time zone, p_external_id text, p_spend_key text, p_fee_key text)',
      'wallet_settle_top_up(p_org text, p_key text, p_outcome text, p_payment_intent text, p_reason text, p_settle_key text, p_breaker_declines integer, p_at timestamp with time zone)',
      'wallet_settle_withdrawal_leg(p_org text, p_leg_key text, p_outcome text, p_stripe_refund text, p_reason text, p_reverse_key text, p_at timestamp with time zone)',
      'wallet_start_top_up(p_org text, p_method text, p_amount bigint, p_local_day date, p_expected date, p_key text, p_start_key text, p_at timestamp with time zone)',
      'wallet_withdraw_leg(p_org text, p_withdrawal_key text, p_top_up_id bigint, p_refund bigint, p_fee bigint, p_leg_key text, p_debit_key text, p_at timestamp with time zone)',
    ]);
  });

  it('applies nothing on an up-to-date database', async () => {
    expect(await migrateToLatest(t.db)).toEqual([]);
  });

  it('applies a function file again, once, when its content differs from the recorded hash', async () => {
    await sql`UPDATE repeatable_migrations SET sha256 = 'edited' WHERE name = 'functions/credits_reserve.sql'`.execute(
      t.db,
    );
    expect(await migrateToLatest(t.db)).toEqual(['functions/credits_reserve.sql']);
    expect((await recordedHashes(t.db))['functions/credits_reserve.sql']).toBe(
      sha256(functionScripts()[4]!.sql),
    );
    expect(await migrateToLatest(t.db)).toEqual([]);
  });

  it('writes the catalog only where it differs, and leaves rows it does not name alone', async () => {
    await sql`UPDATE tiers SET included_credits_per_period = 5 WHERE id = 'plus'`.execute(t.db);
    await sql`INSERT INTO tiers VALUES ('legacy', 'Legacy', 10, false, 0, 0)`.execute(t.db);
    expect(await migrateToLatest(t.db)).toEqual(['seed/tiers']);
    const tiers = await t.db.selectFrom('tiers').selectAll().orderBy('id').execute();
    expect(tiers).toEqual(
      [
        ...TIERS,
        {
          id: 'legacy',
          name: 'Legacy',
          included_credits_per_period: 10,
          overage_allowed: false,
          pack_discount_bps: 0,
          rollover_days: 0,
          rollover_cap: 0,
        },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await migrateToLatest(t.db)).toEqual([]);
  });
});

describe('the repeatable step', () => {
  const probe = (n: number): RepeatableScript => ({
    name: 'functions/repeatable_probe.sql',
    sql: `CREATE OR REPLACE FUNCTION repeatable_probe() RETURNS int LANGUAGE sql AS 'SELECT ${n}';`,
  });
  const probeValue = async () =>
    (await sql<{ v: number }>`SELECT repeatable_probe() AS v`.execute(t.db)).rows[0]!.v;

  it('applies a new script, skips it while unchanged, and applies it once more after a change', async () => {
    expect(await applyScripts(t.db, [probe(1)])).toEqual(['functions/repeatable_probe.sql']);
    expect(await applyScripts(t.db, [probe(1)])).toEqual([]);
    expect(await probeValue()).toBe(1);

    expect(await applyScripts(t.db, [probe(2)])).toEqual(['functions/repeatable_probe.sql']);
    expect(await probeValue()).toBe(2);
    expect((await recordedHashes(t.db))['functions/repeatable_probe.sql']).toBe(sha256(probe(2).sql));
    expect(await applyScripts(t.db, [probe(2)])).toEqual([]);
  });

  it('keeps neither the change nor the hash of any script when one of them fails', async () => {
    const broken: RepeatableScript = { name: 'functions/broken.sql', sql: 'CREATE FUNCTION broken( AS' };
    await expect(applyScripts(t.db, [probe(3), broken])).rejects.toThrow(
      /repeatable migration functions\/broken\.sql failed/,
    );
    expect(await probeValue()).toBe(2);
    const hashes = await recordedHashes(t.db);
    expect(hashes['functions/repeatable_probe.sql']).toBe(sha256(probe(2).sql));
    expect(hashes).not.toHaveProperty('functions/broken.sql');
  });
});

describe('the catalog seed', () => {
  it('is a no-op on a database the first migration seeded', async () => {
    const empty = await createEmptyDatabase({ max: 1 });
    try {
      const { Migrator } = await import('kysely');
      const migrator = new Migrator({ db: empty.db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const before = await sql`SELECT xmin::text, * FROM tiers ORDER BY id`.execute(empty.db);
      expect(await empty.db.transaction().execute((trx) => applySeed(trx))).toEqual([]);
      // Same row versions: not even rewritten with equal values.
      expect((await sql`SELECT xmin::text, * FROM tiers ORDER BY id`.execute(empty.db)).rows).toEqual(
        before.rows,
      );
      const allowances = await empty.db
        .selectFrom('usage_allowances')
        .selectAll()
        .orderBy('tier_id')
        .orderBy('metric')
        .execute();
      const byKey = (a: { tier_id: string; metric: string }, b: { tier_id: string; metric: string }) =>
        a.tier_id.localeCompare(b.tier_id) || a.metric.localeCompare(b.metric);
      expect(allowances.sort(byKey)).toEqual(usageAllowanceRows().sort(byKey));
      const formats = await empty.db.selectFrom('generation_formats').selectAll().orderBy('format').execute();
      expect(formats).toEqual(
        Object.entries(GENERATION_FORMAT_ROWS)
          .map(([format, row]) => ({ format, ...row }))
          .sort((a, b) => a.format.localeCompare(b.format)),
      );
    } finally {
      await empty.close();
    }
  });
});

describe('two processes migrating a fresh database at once', () => {
  it('both succeed, and every step is applied exactly once', async () => {
    const empty = await createEmptyDatabase({ max: 1 });
    // A second pool: another process's connections.
    const other = createDb(empty.url, { max: 1 });
    try {
      const [a, b] = await Promise.all([migrateToLatest(empty.db), migrateToLatest(other)]);
      expect([...a, ...b].sort()).toEqual([...Object.keys(migrations), ...FUNCTION_NAMES].sort());
      expect(Object.keys(await recordedHashes(empty.db)).sort()).toEqual([...FUNCTION_NAMES].sort());
      expect(await ledgerOverloads(empty.db)).toEqual(await ledgerOverloads(t.db));
      expect(await migrateToLatest(other)).toEqual([]);
    } finally {
      await other.destroy();
      await empty.close();
    }
  });
});
