import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { localDay } from '../../src/wallet/days';
import {
  claimAutoTopUp,
  creditWire,
  settleTopUp,
  startTopUp,
  type StartTopUpInput,
} from '../../src/wallet/ledger';
import { getWallet, resetAutoTopUpBreaker, updateWalletSettings } from '../../src/wallet/wallets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectDomainError, makeAgencyOrg, makeByoOrg, walletFingerprint, walletLedger } from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 10 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const AUTO = { enabled: true, thresholdCents: 10_000, amountCents: 5_000, dailyCapCents: 12_000 };
const MONDAY = new Date('2026-03-09T15:00:00Z');
let req = 0;
const manual = (orgId: string, over: Partial<StartTopUpInput> = {}) =>
  startTopUp(t.db, {
    orgId,
    method: 'card',
    amountCents: 20_000,
    idempotencyKey: `req-${++req}`,
    at: MONDAY,
    ...over,
  });
const claim = (orgId: string, amountCents: number, at: Date, timeZone = 'UTC') =>
  claimAutoTopUp(t.db, { orgId, localDay: localDay(at, timeZone), amountCents, at });
const minutes = (n: number) => new Date(MONDAY.getTime() + n * 60_000);

describe('manual top-ups', () => {
  it('a card top-up is pending until its charge succeeds, then settled, each step once', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    const started = await manual(orgId, { idempotencyKey: 'req-card' });
    expect(started).toMatchObject({
      duplicate: false,
      topUp: {
        key: `wallet-top-up:${orgId}:manual:req-card`,
        amountCents: 20_000,
        method: 'card',
        trigger: 'manual',
        status: 'pending',
        localDay: '2026-03-09',
        startedAt: MONDAY.toISOString(),
        expectedSettlement: null,
        settledAt: null,
      },
      wallet: { balanceCents: 0, pendingCents: 20_000 },
    });
    expect(await manual(orgId, { idempotencyKey: 'req-card' })).toMatchObject({
      duplicate: true,
      topUp: started.topUp,
    });

    const at = minutes(1);
    const settled = await settleTopUp(t.db, {
      orgId,
      topUpKey: started.topUp.key,
      outcome: 'succeeded',
      paymentIntentId: 'pi_1',
      at,
    });
    expect(settled).toMatchObject({
      duplicate: false,
      breakerTripped: false,
      topUp: { status: 'succeeded', paymentIntentId: 'pi_1', settledAt: at.toISOString() },
      wallet: { balanceCents: 20_000, pendingCents: 0 },
    });
    expect(
      await settleTopUp(t.db, { orgId, topUpKey: started.topUp.key, outcome: 'succeeded', at: minutes(5) }),
    ).toMatchObject({ duplicate: true, wallet: { balanceCents: 20_000 } });
    expect(
      (await walletLedger(t.db, orgId)).map((r) => [r.entry_type, r.balance_delta, r.pending_delta]),
    ).toEqual([
      ['top_up_started', 0, 20_000],
      ['top_up_succeeded', 20_000, -20_000],
    ]);
  });

  it('ACH shows its expected date (3 business days, weekends skipped) and a failure removes the pending', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    const friday = new Date('2026-03-13T20:00:00Z');
    const ach = await manual(orgId, { method: 'ach', amountCents: 100_000, at: friday });
    expect(ach.topUp).toMatchObject({
      method: 'ach',
      localDay: '2026-03-13',
      expectedSettlement: '2026-03-18',
    });
    expect(ach.wallet).toMatchObject({ balanceCents: 0, pendingCents: 100_000 });
    const failed = await settleTopUp(t.db, {
      orgId,
      topUpKey: ach.topUp.key,
      outcome: 'failed',
      reason: 'R01 insufficient funds',
      at: new Date('2026-03-17T14:00:00Z'),
    });
    expect(failed).toMatchObject({
      topUp: { status: 'failed', failureReason: 'R01 insufficient funds' },
      wallet: { balanceCents: 0, pendingCents: 0, autoTopUp: { consecutiveDeclines: 0 } },
    });
  });

  it("counts the local day in the org's time zone", async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { timeZone: 'America/Los_Angeles' } });
    const late = new Date('2026-03-10T05:00:00Z'); // 22:00 on the 9th in Los Angeles
    const ach = await manual(orgId, { method: 'ach', at: late });
    expect(ach.topUp).toMatchObject({ localDay: '2026-03-09', expectedSettlement: '2026-03-12' });
  });

  it('refuses a settled top-up settled the other way, unknown top-ups and bad input, writing nothing', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    const byo = await makeByoOrg(t.db);
    const { topUp } = await manual(orgId);
    await settleTopUp(t.db, { orgId, topUpKey: topUp.key, outcome: 'succeeded', at: minutes(1) });
    const before = await walletFingerprint(t.db);
    await expectDomainError(
      settleTopUp(t.db, { orgId, topUpKey: topUp.key, outcome: 'failed', at: minutes(2) }),
      'WALLET_ALREADY_SETTLED',
    );
    await expectDomainError(
      settleTopUp(t.db, { orgId, topUpKey: 'nope', outcome: 'failed', at: minutes(2) }),
      'NOT_FOUND',
    );
    await expectDomainError(
      settleTopUp(t.db, { orgId, topUpKey: topUp.key, outcome: 'refunded' as 'failed', at: minutes(2) }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      manual(orgId, { idempotencyKey: 'req-1-x', amountCents: 999 }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(manual(orgId, { amountCents: 2_000.5 }), 'VALIDATION_FAILED');
    await expectDomainError(manual(orgId, { method: 'wire' as 'card' }), 'VALIDATION_FAILED');
    await expectDomainError(manual(orgId, { idempotencyKey: '' }), 'VALIDATION_FAILED');
    await expectDomainError(manual(byo.orgId), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(manual('org_missing'), 'NOT_FOUND');
    // The key of a card top-up reused for ACH.
    await expectDomainError(
      manual(orgId, { idempotencyKey: topUp.key.split(':manual:')[1], method: 'ach' }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await walletFingerprint(t.db)).toEqual(before);
  });
});

describe('wire credits', () => {
  it('credits the settled balance once per reference', async () => {
    const { orgId } = await makeAgencyOrg(t.db);
    const wire = await creditWire(t.db, {
      orgId,
      amountCents: 250_000,
      reference: 'FED-2026-0309-1',
      at: MONDAY,
    });
    expect(wire).toMatchObject({
      duplicate: false,
      topUp: {
        method: 'wire',
        trigger: 'manual',
        status: 'succeeded',
        wireReference: 'FED-2026-0309-1',
        settledAt: MONDAY.toISOString(),
      },
      wallet: { balanceCents: 250_000, pendingCents: 0 },
    });
    expect(
      await creditWire(t.db, { orgId, amountCents: 250_000, reference: 'FED-2026-0309-1', at: minutes(9) }),
    ).toMatchObject({
      duplicate: true,
      wallet: { balanceCents: 250_000 },
    });
    const before = await walletFingerprint(t.db);
    await expectDomainError(
      creditWire(t.db, { orgId, amountCents: 25_000, reference: 'FED-2026-0309-1', at: MONDAY }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    await expectDomainError(
      creditWire(t.db, { orgId, amountCents: 0, reference: 'FED-2', at: MONDAY }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      creditWire(t.db, { orgId, amountCents: 100, reference: ' ', at: MONDAY }),
      'VALIDATION_FAILED',
    );
    expect(await walletFingerprint(t.db)).toEqual(before);
    expect(await walletLedger(t.db, orgId)).toMatchObject([
      {
        entry_type: 'wire_credit',
        idempotency_key: `wallet-wire:${orgId}:FED-2026-0309-1:credit`,
        balance_delta: 250_000,
      },
    ]);
  });
});

describe('auto top-ups: claim, settle, decline, breaker', () => {
  it('claims within the cap, counts pending and succeeded, not failed', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { floorCents: 0, autoTopUp: AUTO } });
    const a = await claim(orgId, 5_000, minutes(0));
    expect(a).toMatchObject({
      status: 'claimed',
      duplicate: false,
      usedTodayCents: 5_000,
      dailyCapCents: 12_000,
      topUp: { trigger: 'auto', method: 'card', status: 'pending', localDay: '2026-03-09' },
      wallet: { pendingCents: 5_000 },
    });
    if (a.status !== 'claimed') throw new Error('claimed');
    await settleTopUp(t.db, { orgId, topUpKey: a.topUp.key, outcome: 'succeeded', at: minutes(1) });
    const b = await claim(orgId, 5_000, minutes(2));
    if (b.status !== 'claimed') throw new Error('claimed');
    await settleTopUp(t.db, {
      orgId,
      topUpKey: b.topUp.key,
      outcome: 'failed',
      reason: 'cancelled',
      at: minutes(3),
    });
    expect(await claim(orgId, 5_000, minutes(4))).toMatchObject({
      status: 'claimed',
      usedTodayCents: 10_000,
    });
    // 10,000 used: 2,000 is left of the cap, 5,000 does not fit, and nothing was written.
    const before = await walletFingerprint(t.db);
    expect(await claim(orgId, 5_000, minutes(5))).toMatchObject({
      status: 'refused',
      reason: 'cap_exceeded',
      usedTodayCents: 10_000,
      dailyCapCents: 12_000,
    });
    expect(await walletFingerprint(t.db)).toEqual(before);
    expect(await claim(orgId, 2_000, minutes(6))).toMatchObject({
      status: 'claimed',
      usedTodayCents: 12_000,
    });
    // The next day starts over.
    const tuesday = new Date('2026-03-10T00:00:00Z');
    expect(await claim(orgId, 5_000, tuesday)).toMatchObject({ status: 'claimed', usedTodayCents: 5_000 });
  });

  it('is idempotent on the decision time, and refuses that key for another amount', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { floorCents: 0, autoTopUp: AUTO } });
    const first = await claim(orgId, 5_000, minutes(0));
    expect(await claim(orgId, 5_000, minutes(0))).toMatchObject({
      status: 'claimed',
      duplicate: true,
      usedTodayCents: 5_000,
    });
    if (first.status !== 'claimed') throw new Error('claimed');
    const before = await walletFingerprint(t.db);
    await expectDomainError(claim(orgId, 4_000, minutes(0)), 'IDEMPOTENCY_KEY_REUSED');
    expect(await walletFingerprint(t.db)).toEqual(before);
    expect((await getWallet(t.db, orgId)).pendingCents).toBe(5_000);
  });

  it('claims nothing once disabled, even with a decision already made', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { floorCents: 0, autoTopUp: AUTO } });
    await updateWalletSettings(t.db, orgId, { autoTopUp: { ...AUTO, enabled: false } });
    const before = await walletFingerprint(t.db);
    expect(await claim(orgId, 5_000, minutes(0))).toMatchObject({
      status: 'refused',
      reason: 'disabled',
      usedTodayCents: 0,
    });
    expect(await walletFingerprint(t.db)).toEqual(before);
  });

  it('trips the breaker on the third decline in a row, once; a manual card top-up resets it', async () => {
    const { orgId } = await makeAgencyOrg(t.db, {
      settings: { floorCents: 0, autoTopUp: { ...AUTO, dailyCapCents: 50_000 } },
    });
    const decline = async (n: number) => {
      const c = await claim(orgId, 5_000, minutes(60 * n));
      if (c.status !== 'claimed') throw new Error(`claim ${n}: ${c.reason}`);
      return settleTopUp(t.db, {
        orgId,
        topUpKey: c.topUp.key,
        outcome: 'declined',
        reason: 'card_declined',
        at: minutes(60 * n + 1),
      });
    };
    expect(await decline(0)).toMatchObject({
      breakerTripped: false,
      wallet: {
        autoTopUp: { consecutiveDeclines: 1, lastDeclineAt: minutes(1).toISOString(), disabledReason: null },
      },
    });
    expect(await decline(1)).toMatchObject({
      breakerTripped: false,
      wallet: { autoTopUp: { consecutiveDeclines: 2 } },
    });
    expect(await decline(2)).toMatchObject({
      breakerTripped: true,
      wallet: { autoTopUp: { consecutiveDeclines: 3, disabledReason: 'declines', enabled: true } },
    });
    // Declines used none of the cap, but the breaker refuses the claim.
    expect(await claim(orgId, 5_000, minutes(300))).toMatchObject({
      status: 'refused',
      reason: 'breaker',
      usedTodayCents: 0,
    });

    // An ACH top-up succeeding says nothing about the card.
    const ach = await manual(orgId, { method: 'ach', at: minutes(301) });
    await settleTopUp(t.db, { orgId, topUpKey: ach.topUp.key, outcome: 'succeeded', at: minutes(302) });
    expect((await getWallet(t.db, orgId)).autoTopUp).toMatchObject({
      disabledReason: 'declines',
      consecutiveDeclines: 3,
    });
    // A manual card top-up that succeeds does.
    const card = await manual(orgId, { at: minutes(303) });
    const ok = await settleTopUp(t.db, {
      orgId,
      topUpKey: card.topUp.key,
      outcome: 'succeeded',
      at: minutes(304),
    });
    expect(ok.wallet.autoTopUp).toMatchObject({ disabledReason: null, consecutiveDeclines: 0 });
    expect(await claim(orgId, 5_000, minutes(305))).toMatchObject({ status: 'claimed' });
  });

  it('counts only auto declines toward the breaker, and a card update resets it', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: { floorCents: 0, autoTopUp: AUTO } });
    for (let i = 0; i < 3; i++) {
      const m = await manual(orgId, { at: minutes(i) });
      await settleTopUp(t.db, { orgId, topUpKey: m.topUp.key, outcome: 'declined', at: minutes(i) });
    }
    expect((await getWallet(t.db, orgId)).autoTopUp).toMatchObject({
      consecutiveDeclines: 0,
      disabledReason: null,
    });
    await sql`UPDATE wallets SET consecutive_declines = 3, auto_top_up_disabled_reason = 'declines' WHERE org_id = ${orgId}`.execute(
      t.db,
    );
    expect((await resetAutoTopUpBreaker(t.db, orgId)).autoTopUp).toMatchObject({
      consecutiveDeclines: 0,
      disabledReason: null,
    });
  });

  it("refuses a day that is not the wallet's day of the decision, and BYO orgs", async () => {
    const { orgId } = await makeAgencyOrg(t.db, {
      settings: { floorCents: 0, autoTopUp: AUTO, timeZone: 'Asia/Tokyo' },
    });
    const byo = await makeByoOrg(t.db);
    const before = await walletFingerprint(t.db);
    const late = new Date('2026-03-09T16:00:00Z'); // 01:00 on the 10th in Tokyo
    await expectDomainError(
      claimAutoTopUp(t.db, { orgId, localDay: '2026-03-09', amountCents: 5_000, at: late }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      claimAutoTopUp(t.db, { orgId, localDay: '2026-02-30', amountCents: 5_000, at: late }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      claimAutoTopUp(t.db, { orgId, localDay: '2026-03-10', amountCents: 0, at: late }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(claim(byo.orgId, 5_000, late), 'WALLET_NOT_AVAILABLE');
    expect(await walletFingerprint(t.db)).toEqual(before);
    expect(await claim(orgId, 5_000, late, 'Asia/Tokyo')).toMatchObject({
      status: 'claimed',
      topUp: { localDay: '2026-03-10' },
    });
  });
});
