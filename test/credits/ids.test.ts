import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowanceChangeKey,
  includedRevokeKey,
  pendingExpiryKey,
  periodCloseKey,
  reserveKey,
  rolloverExpiryKey,
  settleKey,
} from '../../src/credits/ids';
import { captureCredits, releaseCredits, reserveCredits } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { migrateToLatest } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations/index';
import { newId } from '../../src/ids';
import { createEmptyDatabase, type TestDatabase } from '../support/database';

/**
 * A database as the code before the repeatable step left it: the frozen migrations of that time only
 * (up to 0004), whose ledger functions built the keys in SQL. Ledger rows written there must be found by
 * the keys TypeScript builds now, or every settlement after the upgrade would be a second one.
 */
const BEFORE_REPEATABLE_STEP = '2026_11_21_0004_cost_ceiling';
let t: TestDatabase;
beforeAll(async () => {
  t = await createEmptyDatabase();
  const migrator = new Migrator({ db: t.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateTo(BEFORE_REPEATABLE_STEP);
  expect(error).toBeUndefined();
});
afterAll(() => t.close());

/**
 * An org as that code opened one, in its own SQL: today's createOrganization reads snapshots the old
 * functions do not build.
 */
async function orgBeforeUpgrade(prepaid: number) {
  const orgId = newId('org');
  const projectId = newId('prj');
  const start = new Date('2026-11-01T00:00:00Z');
  await sql`INSERT INTO organizations (id, name, tier_id, billing_mode, billing_anchor)
            VALUES (${orgId}, 'Before the upgrade', 'free', 'byo', ${start})`.execute(t.db);
  await sql`INSERT INTO projects (id, org_id, name) VALUES (${projectId}, ${orgId}, 'Default')`.execute(t.db);
  await sql`INSERT INTO credit_balances (org_id, period_start, period_end)
            VALUES (${orgId}, ${start}, ${new Date('2026-12-01T00:00:00Z')})`.execute(t.db);
  await sql`SELECT * FROM credits_grant(${orgId}, 'prepaid', ${prepaid}, ${`test:prepaid:${orgId}`}, NULL)`.execute(
    t.db,
  );
  return { orgId, projectId };
}

// Ids as a caller may send them: separators, quotes, non-ASCII, the longest allowed.
const GENERATION_IDS = [
  'gen_plain',
  'gen:with:colons',
  'gen\'quote"double',
  'gén_ünïcødé_🙂',
  'x'.repeat(200),
];

const keysOf = async (generationId: string) =>
  (
    await t.db
      .selectFrom('credit_ledger')
      .select(['entry_type', 'idempotency_key'])
      .where('generation_id', '=', generationId)
      .orderBy('id')
      .execute()
  ).map((r) => [r.entry_type, r.idempotency_key]);

describe('ledger keys built in TypeScript', () => {
  it('are byte for byte the keys the first migration built in SQL', async () => {
    const { orgId, projectId } = await orgBeforeUpgrade(10_000);
    for (const [i, id] of GENERATION_IDS.entries()) {
      // The old four-argument functions of the first migration, as the code before this change called them.
      await sql`SELECT * FROM credits_reserve(${orgId}, ${projectId}, ${id}, 'slideshow_builder')`.execute(
        t.db,
      );
      if (i % 3 === 0) await sql`SELECT * FROM credits_capture(${orgId}, ${id}, 40, 'm')`.execute(t.db);
      if (i % 3 === 1)
        await sql`SELECT * FROM credits_release(${orgId}, ${id}, 'release', 'r')`.execute(t.db);
      if (i % 3 === 2)
        await sql`SELECT * FROM credits_release(${orgId}, ${id}, 'expire', NULL)`.execute(t.db);
      const settle = ['capture', 'release', 'expire'][i % 3]!;
      expect(await keysOf(id)).toEqual([
        ['reserve', reserveKey(id)],
        [settle, settleKey(id)],
      ]);
    }
  });

  it('find, after the upgrade, the settlements written before it', async () => {
    const { orgId, projectId } = await orgBeforeUpgrade(1000);
    const [captured, released] = ['gen_before_upgrade_1', 'gen_before_upgrade_2'];
    await sql`SELECT * FROM credits_reserve(${orgId}, ${projectId}, ${captured}, 'video_remix')`.execute(
      t.db,
    );
    await sql`SELECT * FROM credits_capture(${orgId}, ${captured}, 90, 'm')`.execute(t.db);
    await sql`SELECT * FROM credits_reserve(${orgId}, ${projectId}, ${released}, 'video_remix')`.execute(
      t.db,
    );
    await sql`SELECT * FROM credits_release(${orgId}, ${released}, 'release', 'r')`.execute(t.db);

    const applied = await migrateToLatest(t.db);
    // The catalog the migrations seeded is already the seed's: only the later migrations and the
    // functions are applied.
    expect(applied.filter((name) => !name.startsWith('functions/'))).toEqual(
      Object.keys(migrations).filter((name) => name > BEFORE_REPEATABLE_STEP),
    );
    expect(applied).toContain('functions/credits_capture.sql');

    const again = await captureCredits(t.db, {
      orgId,
      generationId: captured,
      actualCredits: 90,
      model: 'm',
    });
    expect(again).toMatchObject({
      duplicate: true,
      charge: { actual: 90, hold: 120, fromIncluded: 0, fromPrepaid: 90, overage: 0, writtenOff: 0 },
    });
    expect(
      await releaseCredits(t.db, { orgId, generationId: released, kind: 'release', reason: 'r' }),
    ).toMatchObject({ duplicate: true, status: 'released', releasedCredits: 120 });

    // And a reservation made after it still gets the same shape of key.
    const fresh = 'gen_after_upgrade';
    await reserveCredits(t.db, { orgId, projectId, generationId: fresh, format: 'auto' });
    await releaseCredits(t.db, { orgId, generationId: fresh, kind: 'expire' });
    expect(await keysOf(fresh)).toEqual([
      ['reserve', 'reservation:gen_after_upgrade:reserve'],
      ['expire', 'reservation:gen_after_upgrade:settle'],
    ]);
    expect(await findDrift(t.db)).toEqual([]);
  });

  it('keep the forms the ledger rows of periods and held expiries are stored under', () => {
    const at = new Date('2026-02-28T10:00:00Z');
    expect(pendingExpiryKey('gen_1')).toBe('reservation:gen_1:expire-pending');
    expect(periodCloseKey('org_1', at)).toBe('period-close:org_1:2026-02-28T10:00:00.000Z');
    expect(rolloverExpiryKey('org_1', at)).toBe('rollover-expiry:org_1:2026-02-28T10:00:00.000Z');
    expect(allowanceChangeKey('org_1', 'chg_9')).toBe('allowance:org_1:chg_9');
    expect(includedRevokeKey('org_1', 'pause_2')).toBe('included-revoke:org_1:pause_2');
  });
});
