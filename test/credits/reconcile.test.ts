import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveCredits } from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

const run = promisify(execFile);
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

const reconcileCli = () =>
  run('npx', ['tsx', 'src/credits/reconcile-cli.ts'], { env: { ...process.env, DATABASE_URL: t.url } }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );

describe('reconciliation', () => {
  it('finds no drift in a consistent ledger, and `npm run reconcile` exits 0', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', prepaid: 40 });
    await reserveCredits(t.db, { orgId, projectId, generationId: newId('gen'), format: 'auto' });
    expect(await findDrift(t.db)).toEqual([]);
    const { code, out } = await reconcileCli();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ ok: true, drift: [] });
  });

  it('reports a balance changed behind the ledger, and the command exits non-zero', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro' });
    await sql`UPDATE credit_balances SET prepaid_balance = prepaid_balance + 7 WHERE org_id = ${orgId}`.execute(
      t.db,
    );
    expect(await findDrift(t.db)).toEqual([
      { orgId, column: 'prepaid_balance', stored: 7, expected: 0, source: 'ledger' },
    ]);
    const { code, out } = await reconcileCli();
    expect(code).toBe(1);
    expect(JSON.parse(out).ok).toBe(false);
  });

  it('replays the period columns, and checks the rolled-over balance against its grants', async () => {
    const anchor = new Date('2026-01-01T00:00:00Z');
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor });
    // The other tests of this file leave drift of their own on purpose.
    const driftOf = async (id: string) => (await findDrift(t.db)).filter((d) => d.orgId === id);
    await closeCreditPeriod(t.db, {
      orgId,
      periodStart: anchor,
      at: new Date('2026-02-01T00:00:00Z'),
      nextPeriodEnd: new Date('2026-03-01T00:00:00Z'),
      allowance: 1000,
      rollover: { days: 30, cap: 600 },
    });
    expect(await driftOf(orgId)).toEqual([]);

    await sql`UPDATE credit_balances SET expired_this_period = 9 WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([
      { orgId, column: 'expired_this_period', stored: 9, expected: 0, source: 'ledger' },
    ]);
    await sql`UPDATE credit_balances SET expired_this_period = 0 WHERE org_id = ${orgId}`.execute(t.db);

    // A grant spent behind the ledger: the balance still agrees with the ledger, not with the grants.
    await sql`UPDATE credit_grants SET remaining = remaining - 1 WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([
      { orgId, column: 'rolled_over_remaining', stored: 600, expected: 599, source: 'grants' },
    ]);
    await sql`UPDATE credit_grants SET remaining = remaining + 1 WHERE org_id = ${orgId}`.execute(t.db);

    await sql`UPDATE credit_balances SET rollover_expires_at = rollover_expires_at + interval '1 day'
               WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([
      {
        orgId,
        column: 'rollover_expires_at',
        stored: '2026-03-04T00:00:00.000Z',
        expected: '2026-03-03T00:00:00.000Z',
        source: 'grants',
      },
    ]);
    await sql`UPDATE credit_balances SET rollover_expires_at = rollover_expires_at - interval '1 day'
               WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([]);
  });

  it('reports holds that no held reservation explains', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro' });
    await sql`INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, reserved_delta) VALUES (${orgId}, 'reserve', 'forged', 5)`.execute(
      t.db,
    );
    await sql`UPDATE credit_balances SET reserved_credits = 5 WHERE org_id = ${orgId}`.execute(t.db);
    expect(await findDrift(t.db)).toContainEqual({
      orgId,
      column: 'reserved_credits',
      stored: 5,
      expected: 0,
      source: 'reservations',
    });
  });
});
