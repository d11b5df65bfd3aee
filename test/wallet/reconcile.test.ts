import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { recordSpend, startTopUp } from '../../src/wallet/ledger';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeAgencyOrg } from './support';

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

// The tests of this file leave drift on purpose: each looks at its own org only, in order.
const driftOf = async (orgId: string) => (await findDrift(t.db)).filter((d) => d.orgId === orgId);

describe('reconciliation covers the wallets', () => {
  it('finds none in a consistent wallet, and `npm run reconcile` exits 0', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    await recordSpend(t.db, {
      orgId,
      projectId,
      platform: 'meta',
      amountCents: 999,
      occurredAt: new Date(),
      externalId: 'x',
    });
    await startTopUp(t.db, {
      orgId,
      method: 'ach',
      amountCents: 10_000,
      idempotencyKey: 'k',
      at: new Date(),
    });
    expect(await findDrift(t.db)).toEqual([]);
    const { code, out } = await reconcileCli();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ ok: true, drift: [] });
  });

  it('reports a balance changed behind the ledger, and the command exits non-zero', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    await sql`UPDATE wallets SET balance_cents = balance_cents + 7 WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([
      { orgId, column: 'balance_cents', stored: 50_007, expected: 50_000, source: 'wallet_ledger' },
    ]);
    const { code, out } = await reconcileCli();
    expect(code).toBe(1);
    expect(JSON.parse(out).drift).toContainEqual({
      orgId,
      column: 'balance_cents',
      stored: 50_007,
      expected: 50_000,
      source: 'wallet_ledger',
    });
  });

  it('checks pending money against the top-ups in flight', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    const { topUp } = await startTopUp(t.db, {
      orgId,
      method: 'card',
      amountCents: 2_000,
      idempotencyKey: 'k',
      at: new Date(),
    });
    // A top-up marked settled behind the ledger: the pending balance no longer has a top-up behind it.
    await sql`UPDATE wallet_top_ups SET status = 'succeeded', settled_at = now() WHERE id = ${topUp.id}`.execute(
      t.db,
    );
    expect(await driftOf(orgId)).toEqual([
      { orgId, column: 'pending_cents', stored: 2_000, expected: 0, source: 'wallet_top_ups' },
    ]);
  });

  it('checks the spend and fee legs against the bills they record', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    await recordSpend(t.db, {
      orgId,
      projectId,
      platform: 'meta',
      amountCents: 1_000,
      occurredAt: new Date(),
      externalId: 'y',
    });
    await sql`UPDATE wallet_debits SET fee_cents = 40 WHERE org_id = ${orgId}`.execute(t.db);
    expect(await driftOf(orgId)).toEqual([
      { orgId, column: 'fee_cents', stored: 50, expected: 40, source: 'wallet_debits' },
    ]);
  });

  it('finds a ledger row for an org without a wallet', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    await sql`INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, effective_at)
              VALUES ('org_ghost', 'wire_credit', 'forged', 5, now())`.execute(t.db);
    expect(await driftOf('org_ghost')).toEqual([
      { orgId: 'org_ghost', column: 'balance_cents', stored: 0, expected: 5, source: 'wallet_ledger' },
    ]);
    expect(await driftOf(orgId)).toEqual([]);
  });
});
