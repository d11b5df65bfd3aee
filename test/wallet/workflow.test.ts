import { describe, expect, it } from 'vitest';
import { claimAutoTopUp, startTopUp, startWithdrawalLeg } from '../../src/wallet/ledger';
import { getWallet, refundableCharges, updateWalletSettings } from '../../src/wallet/wallets';
import { planWithdrawal, refundFeeCents } from '../../src/wallet/withdrawal';
import { eventually, HOUR, notificationsOf, topUpsOf, useWalletHarness } from './harness';

const NY = 'America/New_York';
const autoTopUp = (o: { thresholdCents: number; amountCents: number; dailyCapCents: number }) => ({
  enabled: true,
  ...o,
});
const succeeded = (rows: Awaited<ReturnType<typeof topUpsOf>>) =>
  rows.filter((t) => t.status === 'succeeded');
const sum = (rows: Array<{ amount_cents: number }>) => rows.reduce((s, t) => s + t.amount_cents, 0);

describe('the wallet workflow', () => {
  const w = useWalletHarness();

  it('tops up until the day’s cap, exactly, and again from the next local day, across the end of DST', async () => {
    // 16:00 in New York on Saturday 31 October 2026; summer time ends at 02:00 on Sunday 1 November.
    const org = await w.org({
      businessNow: new Date('2026-10-31T20:00:00Z'),
      balanceCents: 150_00,
      settings: {
        timeZone: NY,
        autoTopUp: autoTopUp({ thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 120_00 }),
      },
    });
    // Each bill of $60 (+5% fee) crosses the threshold again once the last top-up has landed.
    for (const expected of [1, 2, 3]) {
      await org.spend(60_00);
      await eventually(async () => expect(succeeded(await topUpsOf(w.h, org.orgId))).toHaveLength(expected));
    }
    const saturday = await topUpsOf(w.h, org.orgId);
    expect(saturday.map((t) => [t.amount_cents, t.trigger, t.local_day])).toEqual([
      [50_00, 'auto', '2026-10-31'],
      [50_00, 'auto', '2026-10-31'],
      [20_00, 'auto', '2026-10-31'],
    ]);
    expect(sum(saturday)).toBe(120_00);
    await eventually(async () =>
      expect(await notificationsOf(w.h, org.orgId, 'wallet_cap_reached')).toHaveLength(1),
    );
    // Below the threshold with the cap spent: more bills start nothing today.
    await org.spend(10_00);
    await w.h.env.sleep(HOUR);
    expect(await topUpsOf(w.h, org.orgId)).toHaveLength(3);

    // Sunday starts at 04:00Z (still EDT at midnight): the new day has a cap of its own.
    await w.h.env.sleep(new Date('2026-11-01T04:00:30Z').getTime() - (await org.businessNow()).getTime());
    await eventually(async () => {
      const sunday = (await topUpsOf(w.h, org.orgId)).filter((t) => t.local_day === '2026-11-01');
      expect(sum(succeeded(sunday))).toBeGreaterThanOrEqual(50_00);
    });
    await org.spend(150_00);
    await eventually(async () => {
      const sunday = (await topUpsOf(w.h, org.orgId)).filter((t) => t.local_day === '2026-11-01');
      expect(sum(succeeded(sunday))).toBe(120_00);
    });
    // Sunday is 25 hours long: Monday starts at 05:00Z (EST), not 04:00Z.
    await w.h.env.sleep(new Date('2026-11-02T04:30:00Z').getTime() - (await org.businessNow()).getTime());
    expect((await topUpsOf(w.h, org.orgId)).filter((t) => t.local_day === '2026-11-02')).toHaveLength(0);
    await w.h.env.sleep(HOUR);
    await eventually(async () => {
      const monday = (await topUpsOf(w.h, org.orgId)).filter((t) => t.local_day === '2026-11-02');
      expect(monday.length).toBeGreaterThan(0);
      expect(monday[0]!.started_at.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-11-02T05:00:00Z'));
    });
    expect(await notificationsOf(w.h, org.orgId, 'wallet_cap_reached')).toHaveLength(2);
  });

  it('keeps 200 concurrent bills, each nudging, within the cap: one charge per top-up', async () => {
    const org = await w.org({
      businessNow: new Date('2026-03-03T15:00:00Z'),
      balanceCents: 1_000_00,
      settings: {
        autoTopUp: autoTopUp({ thresholdCents: 500_00, amountCents: 100_00, dailyCapCents: 300_00 }),
      },
    });
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        await org.spend(10_00);
        await org.wallet.nudge(org.orgId, 'debit');
      }),
    );
    await eventually(async () => expect(succeeded(await topUpsOf(w.h, org.orgId))).toHaveLength(3));
    await eventually(async () =>
      expect(await notificationsOf(w.h, org.orgId, 'wallet_cap_reached')).toHaveLength(1),
    );
    const topUps = await topUpsOf(w.h, org.orgId);
    expect(sum(topUps)).toBe(300_00);
    const intents = await w.h.stripe.paymentIntents.list({ customer: org.customerId!, limit: 100 });
    expect(intents.data).toHaveLength(3);
    expect(new Set(intents.data.map((pi) => pi.metadata.businessKey))).toEqual(
      new Set(topUps.map((t) => t.business_key)),
    );
    // 200 × ($10 + 50¢ fee) out, $300 in.
    expect((await getWallet(w.h.t.db, org.orgId)).balanceCents).toBe(1_000_00 - 200 * 10_50 + 300_00);
  });

  it('stops a claimed auto top-up that auto-top-up was switched off before it reached Stripe', async () => {
    const businessNow = new Date('2026-03-04T15:00:00Z');
    const org = await w.org({
      businessNow,
      balanceCents: 50_00,
      settings: {
        autoTopUp: autoTopUp({ thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 100_00 }),
      },
    });
    // Claimed (as the workflow would), then disabled before the workflow sends it.
    await claimAutoTopUp(w.h.t.db, {
      orgId: org.orgId,
      localDay: '2026-03-04',
      amountCents: 50_00,
      at: businessNow,
    });
    await updateWalletSettings(w.h.t.db, org.orgId, {
      autoTopUp: { enabled: false, thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 100_00 },
    });
    await org.wallet.nudge(org.orgId, 'settings');
    await eventually(async () => {
      const [topUp] = await topUpsOf(w.h, org.orgId);
      expect(topUp).toMatchObject({ status: 'failed', failure_reason: 'auto_top_up_disabled_before_charge' });
    });
    const intents = await w.h.stripe.paymentIntents.list({ customer: org.customerId!, limit: 10 });
    expect(intents.data).toHaveLength(0);
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({ balanceCents: 50_00, pendingCents: 0 });
  });

  it('pauses ads below the floor and resumes only once settled funds are back above it', async () => {
    const org = await w.org({
      businessNow: new Date('2026-03-06T15:00:00Z'), // a Friday
      balanceCents: 150_00,
      projects: 2,
      settings: { floorCents: 100_00 },
    });
    await org.spend(60_00);
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).adsPaused).toBe(true));
    const calls = (action: 'pause' | 'resume') =>
      w.ads.calls.filter((c) => c.orgId === org.orgId && c.action === action);
    expect(calls('pause')).toHaveLength(2 * 3); // two projects on three platforms
    const [pause] = await w.h.t.db
      .selectFrom('wallet_ad_actions')
      .selectAll()
      .where('org_id', '=', org.orgId)
      .execute();
    expect(pause).toMatchObject({ action: 'pause', reason: 'below_floor', balance_cents: 150_00 - 63_00 });
    expect(await notificationsOf(w.h, org.orgId, 'wallet_ads_paused')).toHaveLength(1);

    // ACH on a Friday is expected the following Wednesday (three business days, the weekend skipped),
    // and pending money is not the org's yet. localstripe has no ACH (us_bank_account): the customer has
    // no bank account there, so the debit fails, pending is removed and the org is told.
    const { topUp, wallet } = await startTopUp(w.h.t.db, {
      orgId: org.orgId,
      method: 'ach',
      amountCents: 200_00,
      idempotencyKey: 'ach-1',
      at: await org.businessNow(),
    });
    expect(topUp.expectedSettlement).toBe('2026-03-11');
    expect(wallet).toMatchObject({ adsPaused: true, pendingCents: 200_00, balanceCents: 87_00 });
    await org.wallet.nudge(org.orgId, 'top_up');
    await eventually(async () =>
      expect(await notificationsOf(w.h, org.orgId, 'wallet_top_up_failed')).toHaveLength(1),
    );
    expect((await topUpsOf(w.h, org.orgId))[0]).toMatchObject({
      status: 'failed',
      failure_reason: 'no_bank_account',
    });
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({ adsPaused: true, pendingCents: 0 });
    expect(calls('resume')).toHaveLength(0);

    // $87 + $20 is above the floor but below floor + margin ($110): still paused. $30 more resumes.
    for (const [key, cents] of [
      ['card-1', 20_00],
      ['card-2', 30_00],
    ] as const) {
      await startTopUp(w.h.t.db, {
        orgId: org.orgId,
        method: 'card',
        amountCents: cents,
        idempotencyKey: key,
        at: await org.businessNow(),
      });
      await org.wallet.nudge(org.orgId, 'top_up');
      await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).pendingCents).toBe(0));
      if (key === 'card-1') expect(calls('resume')).toHaveLength(0);
    }
    await eventually(async () =>
      expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({ adsPaused: false, balanceCents: 137_00 }),
    );
    expect(calls('resume')).toHaveLength(6);
    expect(await notificationsOf(w.h, org.orgId, 'wallet_ads_resumed')).toHaveLength(1);
  });

  it('credits a card top-up the org asked for as soon as Stripe says yes', async () => {
    const org = await w.org({ businessNow: new Date('2026-03-10T15:00:00Z') });
    await startTopUp(w.h.t.db, {
      orgId: org.orgId,
      method: 'card',
      amountCents: 40_00,
      idempotencyKey: 'card-1',
      at: await org.businessNow(),
    });
    await org.wallet.nudge(org.orgId, 'top_up');
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).balanceCents).toBe(40_00));
  });

  it('withdraws to the card the money came from, less the processor’s fee', async () => {
    const org = await w.org({ businessNow: new Date('2026-03-11T15:00:00Z') });
    await startTopUp(w.h.t.db, {
      orgId: org.orgId,
      method: 'card',
      amountCents: 100_00,
      idempotencyKey: 'fund',
      at: await org.businessNow(),
    });
    await org.wallet.nudge(org.orgId, 'top_up');
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).balanceCents).toBe(100_00));

    const plan = planWithdrawal({
      settledBalanceCents: 100_00,
      requestedCents: 60_00,
      charges: await refundableCharges(w.h.t.db, org.orgId),
    });
    for (const leg of plan.legs) {
      await startWithdrawalLeg(w.h.t.db, {
        orgId: org.orgId,
        withdrawalId: 'w-1',
        ...leg,
        at: await org.businessNow(),
      });
    }
    await org.wallet.nudge(org.orgId, 'withdrawal');
    await eventually(async () => {
      const legs = await w.h.t.db
        .selectFrom('wallet_withdrawal_legs')
        .selectAll()
        .where('org_id', '=', org.orgId)
        .execute();
      expect(legs.map((l) => l.status)).toEqual(['succeeded']);
    });
    const [leg] = plan.legs;
    expect(leg!.refundCents + refundFeeCents(leg!.refundCents)).toBe(60_00);
    const [intent] = (await w.h.stripe.paymentIntents.list({ customer: org.customerId!, limit: 1 })).data;
    const refunds = await w.h.stripe.refunds.list({ payment_intent: intent!.id });
    expect(refunds.data.map((r) => r.amount)).toEqual([leg!.refundCents]);
    expect((await getWallet(w.h.t.db, org.orgId)).balanceCents).toBe(40_00);
  });
});
