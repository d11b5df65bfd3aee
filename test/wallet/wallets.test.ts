import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { recordSpend } from '../../src/wallet/ledger';
import {
  dailySpendTotals,
  getWallet,
  openWallet,
  setPlatformFeeBps,
  updateWalletSettings,
} from '../../src/wallet/wallets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectDomainError, makeAgencyOrg, makeByoOrg, walletFingerprint } from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 5 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const AUTO = { enabled: true, thresholdCents: 20_000, amountCents: 10_000, dailyCapCents: 30_000 };

describe('opening a wallet', () => {
  it('gives every agency org an empty wallet with the default settings, and BYO orgs none', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    expect(await getWallet(t.db, orgId)).toEqual({
      organizationId: orgId,
      balanceCents: 0,
      pendingCents: 0,
      floorCents: 0,
      timeZone: 'UTC',
      platformFeeBps: 500,
      autoTopUp: {
        enabled: false,
        thresholdCents: 0,
        amountCents: 0,
        dailyCapCents: 0,
        disabledReason: null,
        consecutiveDeclines: 0,
        lastDeclineAt: null,
      },
      adsPaused: false,
      adsPausedReason: null,
      adsPausedAt: null,
    });
    expect(await openWallet(t.db, orgId)).toEqual(await getWallet(t.db, orgId));

    const byo = await makeByoOrg(t.db);
    const before = await walletFingerprint(t.db);
    await expectDomainError(getWallet(t.db, byo.orgId), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(openWallet(t.db, byo.orgId), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(getWallet(t.db, 'org_missing'), 'NOT_FOUND');
    expect(await walletFingerprint(t.db)).toEqual(before);
  });
});

describe('settings', () => {
  it('stores a floor, auto-top-up settings and a time zone, each change merged with the rest', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    await updateWalletSettings(t.db, orgId, { floorCents: 5_000, autoTopUp: AUTO });
    const w = await updateWalletSettings(t.db, orgId, { timeZone: 'America/New_York' });
    expect(w).toMatchObject({ floorCents: 5_000, timeZone: 'America/New_York', autoTopUp: AUTO });
    expect(await updateWalletSettings(t.db, orgId, { floorCents: 20_000 })).toMatchObject({
      floorCents: 20_000,
    });
    // Disabled settings are kept as given, whatever they are.
    const off = { enabled: false, thresholdCents: 0, amountCents: 0, dailyCapCents: 0 };
    expect(await updateWalletSettings(t.db, orgId, { autoTopUp: off })).toMatchObject({ autoTopUp: off });
  });

  it('refuses settings that cannot run, naming the field, and writes nothing', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { floorCents: 5_000, autoTopUp: AUTO } });
    const byo = await makeByoOrg(t.db);
    const before = await walletFingerprint(t.db);
    const refused = async (patch: Parameters<typeof updateWalletSettings>[2], field: string) => {
      const err = await expectDomainError(updateWalletSettings(t.db, orgId, patch), 'VALIDATION_FAILED');
      expect(err.details).toEqual({ field });
    };
    await refused({ autoTopUp: { ...AUTO, dailyCapCents: 9_999 } }, 'autoTopUp.dailyCapCents');
    await refused({ autoTopUp: { ...AUTO, thresholdCents: 4_999 } }, 'autoTopUp.thresholdCents');
    await refused({ floorCents: 20_001 }, 'autoTopUp.thresholdCents'); // the floor raised above the threshold
    await refused({ autoTopUp: { ...AUTO, amountCents: 999 } }, 'autoTopUp.amountCents');
    await refused({ autoTopUp: { ...AUTO, amountCents: 10_000.5 } }, 'autoTopUp.amountCents');
    await refused({ floorCents: -1 }, 'floorCents');
    await refused({ autoTopUp: { ...AUTO, enabled: 'yes' as unknown as boolean } }, 'autoTopUp.enabled');
    await refused({ timeZone: 'Mars/Olympus_Mons' }, 'timeZone');
    await refused({ timeZone: '+05:00' }, 'timeZone');
    await expectDomainError(updateWalletSettings(t.db, byo.orgId, { floorCents: 0 }), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(setPlatformFeeBps(t.db, orgId, 10_001), 'VALIDATION_FAILED');
    await expectDomainError(setPlatformFeeBps(t.db, byo.orgId, 100), 'WALLET_NOT_AVAILABLE');
    expect(await walletFingerprint(t.db)).toEqual(before);
  });
});

describe('dailySpendTotals', () => {
  it("sums spend + fee per local day of the org's time zone, by when the bills occurred", async () => {
    const { orgId, projectId } = await makeAgencyOrg(t.db, {
      balanceCents: 100_000,
      settings: { timeZone: 'America/New_York' },
    });
    const bill = (externalId: string, occurredAt: string, amountCents: number) =>
      recordSpend(t.db, { orgId, projectId, platform: 'tiktok', amountCents, occurredAt, externalId });
    await bill('a', '2026-03-08T04:59:59Z', 1_000); // the 7th in New York
    await bill('b', '2026-03-08T05:00:00Z', 2_000); // the 8th
    await bill('c', '2026-03-09T03:59:59Z', 4_000); // still the 8th (EDT)
    await bill('d', '2026-03-09T04:00:00Z', 8_000); // the 9th
    expect(await dailySpendTotals(t.db, orgId, '2026-03-07', '2026-03-10')).toEqual([
      { day: '2026-03-07', cents: 1_050 },
      { day: '2026-03-08', cents: 6_300 },
      { day: '2026-03-09', cents: 8_400 },
    ]);
    expect(await dailySpendTotals(t.db, orgId, '2026-03-08', '2026-03-09')).toEqual([
      { day: '2026-03-08', cents: 6_300 },
    ]);
  });
});
