import { describe, expect, it } from 'vitest';
import { getWallet } from '../../src/wallet/wallets';
import { eventually, HOUR, notificationsOf, topUpsOf, useWalletHarness } from './harness';

/**
 * The decline breaker on a server of its own: its hours of skipped time hung behind other wallet tests'
 * terminated workflows on one time-skipping server (the server's, not the workflow's: it passes alone).
 */
describe('a declining card', () => {
  const w = useWalletHarness();

  it('retries a declining card once per back-off and switches auto-top-up off after three declines', async () => {
    const org = await w.org({
      businessNow: new Date('2026-03-05T09:00:00Z'),
      balanceCents: 120_00,
      card: 'pm_card_chargeCustomerFail',
      settings: {
        autoTopUp: { enabled: true, thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 500_00 },
      },
    });
    const statuses = async () => (await topUpsOf(w.h, org.orgId)).map((t) => t.status);
    await org.spend(30_00);
    // Settled (declined) before any time passes, so the back-off counts from this decline.
    await eventually(async () => expect(await statuses()).toEqual(['failed']));
    // Within the hour's back-off nothing is tried, whatever nudges arrive.
    await org.wallet.nudge(org.orgId, 'debit');
    await w.h.env.sleep(HOUR / 2);
    expect(await statuses()).toEqual(['failed']);
    await w.h.env.sleep(HOUR / 2 + 60_000);
    await eventually(async () => expect(await statuses()).toEqual(['failed', 'failed']));
    await w.h.env.sleep(HOUR + 60_000);
    await eventually(async () => expect(await statuses()).toEqual(['failed', 'failed', 'failed']));
    await eventually(async () =>
      expect(await notificationsOf(w.h, org.orgId, 'wallet_auto_top_up_off')).toHaveLength(1),
    );
    await w.h.env.sleep(5 * HOUR);
    const topUps = await topUpsOf(w.h, org.orgId);
    expect(topUps.map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
    expect((await getWallet(w.h.t.db, org.orgId)).autoTopUp).toMatchObject({
      disabledReason: 'declines',
      consecutiveDeclines: 3,
    });
    // Declined charges moved no money: the wallet holds what the bill left.
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({
      balanceCents: 120_00 - 31_50,
      pendingCents: 0,
    });
  }, 180_000);
});
