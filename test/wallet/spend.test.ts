import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { recordSpend, type RecordSpendInput } from '../../src/wallet/ledger';
import { getWallet, setPlatformFeeBps } from '../../src/wallet/wallets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  addProject,
  expectDomainError,
  makeAgencyOrg,
  makeByoOrg,
  walletFingerprint,
  walletLedger,
} from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 30 });
});
afterAll(() => t.close());
// Guarantee 3: whatever a test did, the ledgers still explain every balance.
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

let bill = 0;
const spend = (orgId: string, projectId: string, over: Partial<RecordSpendInput> = {}) =>
  recordSpend(t.db, {
    orgId,
    projectId,
    platform: 'meta',
    amountCents: 10_000,
    occurredAt: '2026-03-08T15:00:00Z',
    externalId: `bill-${++bill}`,
    ...over,
  });

describe('recordSpend: one platform bill, two linked legs', () => {
  it('debits spend + 5% fee in one transaction, the legs sharing platform, bill and project', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    const r = await spend(orgId, projectId, {
      amountCents: 10_010,
      externalId: 'meta-inv-1',
      platform: 'meta',
    });
    expect(r).toMatchObject({
      duplicate: false,
      debit: {
        platform: 'meta',
        externalId: 'meta-inv-1',
        projectId,
        spendCents: 10_010,
        feeCents: 501, // 500.5¢, halves up
        feeBps: 500,
        occurredAt: '2026-03-08T15:00:00.000Z',
        balanceAfterCents: 50_000 - 10_511,
      },
      wallet: { balanceCents: 39_489, pendingCents: 0 },
    });
    expect((await walletLedger(t.db, orgId)).slice(1)).toEqual([
      {
        entry_type: 'spend',
        idempotency_key: 'wallet-debit:meta:meta-inv-1:spend',
        balance_delta: -10_010,
        pending_delta: 0,
        platform: 'meta',
        external_id: 'meta-inv-1',
        project_id: projectId,
      },
      {
        entry_type: 'fee',
        idempotency_key: 'wallet-debit:meta:meta-inv-1:fee',
        balance_delta: -501,
        pending_delta: 0,
        platform: 'meta',
        external_id: 'meta-inv-1',
        project_id: projectId,
      },
    ]);
  });

  it('attributes bills per platform and per project', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 100_000 });
    const other = await addProject(t.db, orgId);
    await spend(orgId, projectId, { platform: 'meta', amountCents: 1_000 });
    await spend(orgId, other, { platform: 'tiktok', amountCents: 2_000 });
    await spend(orgId, other, { platform: 'google', amountCents: 4_000 });
    await spend(orgId, other, { platform: 'tiktok', amountCents: 8_000 });
    const { rows } = await sql<{ project_id: string; platform: string; cents: number }>`
      SELECT project_id, platform, -sum(balance_delta)::bigint AS cents FROM wallet_ledger
       WHERE org_id = ${orgId} AND entry_type IN ('spend', 'fee') GROUP BY 1, 2 ORDER BY 3`.execute(t.db);
    expect(rows).toEqual([
      { project_id: projectId, platform: 'meta', cents: 1_050 },
      { project_id: other, platform: 'google', cents: 4_200 },
      { project_id: other, platform: 'tiktok', cents: 10_500 },
    ]);
  });

  it('is a no-op for a bill already recorded, answering what the first recording did', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    const first = await spend(orgId, projectId, { externalId: 'inv-dup' });
    await spend(orgId, projectId, { amountCents: 1_000 }); // moves the balance on
    const again = await spend(orgId, projectId, { externalId: 'inv-dup' });
    expect(again).toMatchObject({
      duplicate: true,
      debit: first.debit,
      wallet: { balanceCents: 50_000 - 10_500 - 1_050 },
    });
    // The same bill id on another platform is another bill.
    expect(await spend(orgId, projectId, { externalId: 'inv-dup', platform: 'google' })).toMatchObject({
      duplicate: false,
    });
    expect(await walletLedger(t.db, orgId)).toHaveLength(1 + 3 * 2);
  });

  it('records a bill once when its repeats race', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => spend(orgId, projectId, { externalId: 'inv-race' })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.debit))).size).toBe(1);
    expect((await getWallet(t.db, orgId)).balanceCents).toBe(39_500);
  });

  it('refuses the same bill id with another amount, project or time, writing nothing', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    const other = await addProject(t.db, orgId);
    await spend(orgId, projectId, { externalId: 'inv-x' });
    const before = await walletFingerprint(t.db);
    await expectDomainError(
      spend(orgId, projectId, { externalId: 'inv-x', amountCents: 10_001 }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    await expectDomainError(spend(orgId, other, { externalId: 'inv-x' }), 'IDEMPOTENCY_KEY_REUSED');
    await expectDomainError(
      spend(orgId, projectId, { externalId: 'inv-x', occurredAt: '2026-03-08T15:00:01Z' }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await walletFingerprint(t.db)).toEqual(before);
  });

  it('records spend already incurred in full, below zero', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 1_000 });
    const r = await spend(orgId, projectId, { amountCents: 20_000 });
    expect(r.wallet.balanceCents).toBe(1_000 - 21_000);
    expect(r.debit).toMatchObject({ spendCents: 20_000, feeCents: 1_000, balanceAfterCents: -20_000 });
  });

  it("charges the org's own fee rate, down to none", async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    await setPlatformFeeBps(t.db, orgId, 1_250);
    expect((await spend(orgId, projectId, { amountCents: 1_004 })).debit).toMatchObject({
      feeCents: 126,
      feeBps: 1_250,
    }); // 125.5
    await setPlatformFeeBps(t.db, orgId, 0);
    expect((await spend(orgId, projectId, { amountCents: 1_000 })).debit).toMatchObject({
      feeCents: 0,
      feeBps: 0,
    });
  });

  it('says which bill crossed below the threshold and which below the floor, once each', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, {
      balanceCents: 12_000,
      settings: {
        floorCents: 5_000,
        autoTopUp: { enabled: true, thresholdCents: 10_000, amountCents: 5_000, dailyCapCents: 20_000 },
      },
    });
    const crossings = async (amountCents: number) => {
      const { debit } = await spend(orgId, projectId, { amountCents });
      return [debit.balanceAfterCents, debit.crossedThreshold, debit.crossedFloor];
    };
    expect(await crossings(1_500)).toEqual([10_425, false, false]);
    expect(await crossings(400)).toEqual([10_005, false, false]);
    expect(await crossings(100)).toEqual([9_900, true, false]);
    expect(await crossings(100)).toEqual([9_795, false, false]);
    expect(await crossings(4_000)).toEqual([5_595, false, false]);
    expect(await crossings(1_000)).toEqual([4_545, false, true]);
    expect(await crossings(1_000)).toEqual([3_495, false, false]);
  });

  it('reports no threshold crossing while auto-top-up is off', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, {
      balanceCents: 12_000,
      settings: {
        floorCents: 5_000,
        autoTopUp: { enabled: false, thresholdCents: 10_000, amountCents: 5_000, dailyCapCents: 20_000 },
      },
    });
    const { debit } = await spend(orgId, projectId, { amountCents: 7_000 });
    expect(debit).toMatchObject({ balanceAfterCents: 4_650, crossedThreshold: false, crossedFloor: true });
  });

  it('keeps 200 concurrent bills exact, and exactly one of them crosses each line', async () => {
    const start = 1_000_000;
    const { orgId, projectId } = await makeAgencyOrg(t.db, {
      balanceCents: start,
      settings: {
        floorCents: 200_000,
        autoTopUp: { enabled: true, thresholdCents: 600_000, amountCents: 5_000, dailyCapCents: 20_000 },
      },
    });
    const amounts = Array.from({ length: 200 }, (_, i) => 3_000 + ((i * 37) % 2_000));
    const results = await Promise.all(amounts.map((amountCents) => spend(orgId, projectId, { amountCents })));
    const total = amounts.reduce((s, a) => s + a + Math.floor((a * 500 * 2 + 10_000) / 20_000), 0);
    expect((await getWallet(t.db, orgId)).balanceCents).toBe(start - total);
    expect(results.filter((r) => r.debit.crossedThreshold)).toHaveLength(1);
    expect(results.filter((r) => r.debit.crossedFloor)).toHaveLength(1);
    // The balances after each bill are the running balance in commit order: all distinct, none lost.
    expect(new Set(results.map((r) => r.debit.balanceAfterCents)).size).toBe(200);
    expect(await walletLedger(t.db, orgId)).toHaveLength(1 + 400);
  });
});

describe('recordSpend refuses bad input, writing nothing', () => {
  it('refuses bad amounts, unknown platforms, foreign projects, BYO and unknown orgs', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 50_000 });
    const stranger = await makeAgencyOrg(t.db);
    const byo = await makeByoOrg(t.db);
    const before = await walletFingerprint(t.db);
    for (const amountCents of [-100, 0, 12.5, Number.NaN, 1e12, '100' as unknown as number]) {
      await expectDomainError(spend(orgId, projectId, { amountCents }), 'VALIDATION_FAILED');
    }
    await expectDomainError(spend(orgId, projectId, { platform: 'snapchat' }), 'UNKNOWN_PLATFORM');
    await expectDomainError(spend(orgId, projectId, { platform: 'META' }), 'UNKNOWN_PLATFORM');
    await expectDomainError(spend(orgId, stranger.projectId), 'NOT_FOUND');
    await expectDomainError(spend(orgId, 'prj_missing'), 'NOT_FOUND');
    await expectDomainError(spend(byo.orgId, byo.projectId), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(spend('org_missing', projectId), 'NOT_FOUND');
    await expectDomainError(spend(orgId, projectId, { occurredAt: 'soon' }), 'VALIDATION_FAILED');
    await expectDomainError(spend(orgId, projectId, { externalId: '' }), 'VALIDATION_FAILED');
    await expectDomainError(spend(orgId, projectId, { externalId: 'x'.repeat(201) }), 'VALIDATION_FAILED');
    expect(await walletFingerprint(t.db)).toEqual(before);
  });
});

describe('the wallet ledger', () => {
  it('is append-only', async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, { balanceCents: 5_000 });
    await spend(orgId, projectId);
    await expect(
      sql`UPDATE wallet_ledger SET balance_delta = 0 WHERE org_id = ${orgId}`.execute(t.db),
    ).rejects.toThrow(/append-only \(UPDATE refused\)/);
    await expect(sql`DELETE FROM wallet_ledger WHERE org_id = ${orgId}`.execute(t.db)).rejects.toThrow(
      /append-only \(DELETE refused\)/,
    );
    await expect(sql`TRUNCATE wallet_ledger CASCADE`.execute(t.db)).rejects.toThrow(
      /append-only \(TRUNCATE refused\)/,
    );
  });
});
