import { describe, expect, it } from 'vitest';
import { verifyAuditChains } from '../../src/audit/verify';
import { getWallet } from '../../src/wallet/wallets';
import { eventually, topUpsOf, useWalletHarness } from '../wallet/harness';
import { auditOf } from './support';

/**
 * What the wallet workflow decides on its own is recorded as the workflow's (actor `wallet:<orgId>`), at
 * the decision's business time, once: the real workflow and activities on the time-skipping server,
 * localstripe and PostgreSQL.
 */
describe('the wallet workflow’s decisions', () => {
  const w = useWalletHarness();

  it('an auto top-up charged, as the workflow’s, at its business time', async () => {
    const businessNow = new Date('2026-03-04T15:00:00Z');
    const org = await w.org({
      businessNow,
      balanceCents: 120_00,
      settings: {
        autoTopUp: { enabled: true, thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 500_00 },
      },
    });
    await org.spend(30_00);
    await eventually(async () =>
      expect((await topUpsOf(w.h, org.orgId)).map((t) => t.status)).toEqual(['succeeded']),
    );
    const [topUp] = await topUpsOf(w.h, org.orgId);
    const events = await eventually(async () => {
      const e = (await auditOf(w.h.t.db, org.orgId)).filter((x) => x.action === 'wallet.top_up_succeeded');
      expect(e).toHaveLength(1);
      return e;
    });
    expect(events[0]).toMatchObject({
      actor: `workflow:wallet:${org.orgId}`,
      key: topUp!.business_key,
      before: null,
      after: { amountCents: 50_00, method: 'card', trigger: 'auto', status: 'succeeded' },
    });
    // Business time, not the wall clock: the decision was made minutes after the org's businessNow.
    expect(Date.parse(events[0]!.occurredAt) - businessNow.getTime()).toBeLessThan(60 * 60 * 1000);
    expect(await verifyAuditChains(w.h.t.db, { orgId: org.orgId })).toMatchObject({ ok: true });
  });

  it('ads paused below the floor, once, with the balance that decided it', async () => {
    const org = await w.org({
      businessNow: new Date('2026-03-06T15:00:00Z'),
      balanceCents: 150_00,
      settings: { floorCents: 100_00 },
    });
    await org.spend(60_00);
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).adsPaused).toBe(true));
    const paused = await eventually(async () => {
      const e = (await auditOf(w.h.t.db, org.orgId)).filter((x) => x.action === 'wallet.ads_paused');
      expect(e).toHaveLength(1);
      return e[0]!;
    });
    expect(paused).toMatchObject({
      actor: `workflow:wallet:${org.orgId}`,
      after: { reason: 'below_floor', balanceCents: 150_00 - 63_00, floorCents: 100_00 },
    });
    expect(paused.key).toMatch(/^wallet-ads:.*:pause:/);
    // A nudge that changes nothing records nothing more.
    await org.wallet.nudge(org.orgId, 'debit');
    await new Promise((r) => setTimeout(r, 500));
    expect((await auditOf(w.h.t.db, org.orgId)).filter((x) => x.action === 'wallet.ads_paused')).toHaveLength(
      1,
    );
  });
});
