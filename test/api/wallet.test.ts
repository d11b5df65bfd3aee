import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server';
import { findDrift } from '../../src/credits/reconcile';
import { createProject } from '../../src/orgs/orgs';
import { MAX_CENTS_PER_OPERATION } from '../../src/wallet/amounts';
import { MINIMUM_TOP_UP_CENTS } from '../../src/wallet/auto-top-up';
import { createWalletClient } from '../../src/wallet/client';
import { resumeAtCents } from '../../src/wallet/floor';
import { forecastRunway } from '../../src/wallet/forecast';
import { ACH_TIERS } from '../../src/wallet/funding';
import { recordSpend, settleTopUp, startTopUp } from '../../src/wallet/ledger';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { updateWalletSettings } from '../../src/wallet/wallets';
import { refundFeeCents } from '../../src/wallet/withdrawal';
import { callApi, type CallOptions } from '../support/api';
import { NO_RATE_LIMITS } from '../support/fixtures';
import type { PaymentsHarness } from '../credit-packs/support';
import { startPaymentsApi, type PaymentsApi } from './payments-api';
import { expectError, orgWalletFingerprint, walletOrg, type WalletOrg } from './wallet-support';

/**
 * The wallet routes over real HTTP, on real PostgreSQL and Temporal: every route's good case next to its
 * refusals, each refusal proven to write nothing for the org. What needs the wallet workflow to have
 * charged a card is in wallet-top-ups.test.ts; here the workflow's only part is receiving the nudges,
 * and the tests that read balances afterwards give it nothing to do (no card to charge, nothing below
 * the floor), so they hold whether it runs or not.
 */
let api: PaymentsApi;
let h: PaymentsHarness;
/** The API's business time; the wall clock unless a test pins it. */
let pinned: Date | undefined;

beforeAll(async () => {
  api = await startPaymentsApi({
    clock: () => pinned ?? new Date(),
    // A card top-up here is only checked for its shape: no need to wait for a workflow to charge it.
    config: { ...NO_RATE_LIMITS, topUpWaitMs: 300 },
  });
  h = api.h;
});

afterEach(async () => {
  pinned = undefined;
  expect(await findDrift(h.t.db)).toEqual([]);
  expect(await findWalletDrift(h.t.db)).toEqual([]);
});

afterAll(async () => {
  await api?.stop();
});

const call = (method: string, path: string, opts?: CallOptions) => api.call(method, path, opts);
const idem = (key: string = randomUUID()) => ({ 'idempotency-key': key });
const org = (opts: Parameters<typeof walletOrg>[1] = {}) => walletOrg(h, opts);

/** Runs `act` and expects it to leave every wallet row of the org as it was. */
async function writesNothing(o: { orgId: string }, act: () => Promise<void>) {
  const before = await orgWalletFingerprint(h.t.db, o.orgId);
  await act();
  expect(await orgWalletFingerprint(h.t.db, o.orgId)).toEqual(before);
}

/** The reasons of the nudges the API sent for the org (through the real client, accepted by Temporal). */
const nudgesOf = (orgId: string): string[] =>
  api.nudges.filter((n) => n.orgId === orgId).map((n) => n.reason);

describe('GET /v1/wallet', () => {
  it('shows balances, floor and where ads resume, auto-top-up with today’s cap, pending top-ups and the runway', async () => {
    pinned = new Date('2026-03-10T15:00:00Z'); // a Tuesday
    const o = await org({ balanceCents: 100_000, at: new Date('2026-03-01T12:00:00Z') });
    // Written straight to the ledger, so that no wallet workflow is nudged into acting on them.
    await updateWalletSettings(h.t.db, o.orgId, {
      floorCents: 10_000,
      autoTopUp: { enabled: true, thresholdCents: 20_000, amountCents: 5_000, dailyCapCents: 15_000 },
    });
    await recordSpend(h.t.db, {
      orgId: o.orgId,
      platform: 'meta',
      projectId: o.projectId,
      amountCents: 7_000,
      occurredAt: '2026-03-09T12:00:00Z',
      externalId: 'bill-1',
    });
    const ach = await startTopUp(h.t.db, {
      orgId: o.orgId,
      method: 'ach',
      amountCents: 25_000,
      idempotencyKey: 'ach-1',
      at: pinned,
    });

    const res = await call('GET', '/v1/wallet', { key: o.apiKey });
    expect(res.status).toBe(200);
    const dailyTotals = [{ day: '2026-03-09', cents: 7_350 }];
    expect(res.body).toEqual({
      organizationId: o.orgId,
      balanceCents: 92_650, // 100,000 − 7,000 spend − 350 fee (5%)
      pendingCents: 25_000,
      floorCents: 10_000,
      resumeAtCents: 11_000, // the floor plus its margin: 10%, at least $10
      autoTopUp: {
        enabled: true,
        thresholdCents: 20_000,
        amountCents: 5_000,
        dailyCapCents: 15_000,
        disabledReason: null,
        consecutiveDeclines: 0,
        usedTodayCents: 0,
        remainingTodayCents: 15_000,
        today: '2026-03-10',
      },
      timeZone: 'UTC',
      platformFeeBps: 500,
      adsPaused: { paused: false, reason: null, since: null },
      pendingTopUps: [
        {
          id: ach.topUp.id,
          method: 'ach',
          trigger: 'manual',
          amountCents: 25_000,
          startedAt: pinned.toISOString(),
          expectedSettlement: '2026-03-13', // three business days after Tuesday
        },
      ],
      forecast: forecastRunway({
        today: '2026-03-10',
        dailyTotals,
        balanceCents: 92_650,
        floorCents: 10_000,
        autoTopUp: { active: true, dailyCapCents: 15_000, usedTodayCents: 0 },
      }),
    });
    expect(res.body.forecast.trailing7).toMatchObject({ averageDailyCents: 1_050, daysUntilFloor: 78 });
    expect(res.body.forecast.trailing30).toMatchObject({ averageDailyCents: 245 });
  });

  it('answers 409 WALLET_NOT_AVAILABLE for a BYO org, and 401 without a key', async () => {
    const byo = await org({ mode: 'byo' });
    expectError(await call('GET', '/v1/wallet', { key: byo.apiKey }), 409, 'WALLET_NOT_AVAILABLE');
    expectError(await call('GET', '/v1/wallet'), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /v1/wallet/top-ups', () => {
  const topUp = (o: WalletOrg, json: unknown, key: string = randomUUID()) =>
    call('POST', '/v1/wallet/top-ups', { key: o.apiKey, json, headers: idem(key) });

  it('starts an ACH top-up on a pro org at once, pending until its expected settlement; a repeat is the same top-up', async () => {
    pinned = new Date('2026-03-13T18:00:00Z'); // a Friday: settlement skips the weekend
    const o = await org({ balanceCents: 5_000 });
    const res = await topUp(o, { amountCents: 30_000, method: 'ach' }, 'ach-key');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      topUp: {
        id: expect.any(Number),
        method: 'ach',
        trigger: 'manual',
        amountCents: 30_000,
        status: 'pending',
        failureReason: null,
        startedAt: pinned.toISOString(),
        expectedSettlement: '2026-03-18',
        settledAt: null,
      },
      balanceCents: 5_000,
      pendingCents: 30_000,
    });
    expect(nudgesOf(o.orgId)).toEqual(['top_up']);

    const again = await topUp(o, { amountCents: 30_000, method: 'ach' }, 'ach-key');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.topUp).toMatchObject({ id: res.body.topUp.id, amountCents: 30_000, method: 'ach' });
    const rows = await h.t.db
      .selectFrom('wallet_top_ups')
      .select('id')
      .where('org_id', '=', o.orgId)
      .where('method', '=', 'ach')
      .execute();
    expect(rows).toHaveLength(1);

    // The same key for another amount is refused, and writes nothing.
    await writesNothing(o, async () => {
      expectError(
        await topUp(o, { amountCents: 31_000, method: 'ach' }, 'ach-key'),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      );
    });
  });

  it('takes an Idempotency-Key of the full 255 characters the header allows, for top-ups and withdrawals', async () => {
    const o = await org({ balanceCents: 5_000 });
    const long = 'k'.repeat(255);
    const res = await topUp(o, { amountCents: 2_000, method: 'ach' }, long);
    expect(res.status).toBe(201);
    const again = await topUp(o, { amountCents: 2_000, method: 'ach' }, long);
    expect(again.body.topUp.id).toBe(res.body.topUp.id);
    // Another long key that differs only at its end is another top-up.
    const other = await topUp(o, { amountCents: 2_000, method: 'ach' }, `${'k'.repeat(254)}j`);
    expect(other.body.topUp.id).not.toBe(res.body.topUp.id);
    const withdrawal = await call('POST', '/v1/wallet/withdrawals', {
      key: o.apiKey,
      json: { amountCents: 1_000 },
      headers: idem(long),
    });
    expect(withdrawal.status).toBe(201);
    expect(withdrawal.body.withdrawalId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('starts a card top-up and answers with it once settled, or pending when the wait runs out', async () => {
    const o = await org({ tier: 'max' });
    const res = await topUp(o, { amountCents: MINIMUM_TOP_UP_CENTS, method: 'card' }, 'card-key');
    expect(res.status).toBe(201);
    expect(res.body.topUp).toMatchObject({
      method: 'card',
      trigger: 'manual',
      amountCents: MINIMUM_TOP_UP_CENTS,
      expectedSettlement: null,
    });
    expect(['pending', 'succeeded', 'failed']).toContain(res.body.topUp.status);
    const again = await topUp(o, { amountCents: MINIMUM_TOP_UP_CENTS, method: 'card' }, 'card-key');
    expect(again.body.topUp.id).toBe(res.body.topUp.id);
  });

  it.each([
    ['below the minimum', { amountCents: MINIMUM_TOP_UP_CENTS - 1, method: 'card' }],
    ['negative', { amountCents: -5_000, method: 'card' }],
    ['fractional', { amountCents: 1_000.5, method: 'card' }],
    ['absurd', { amountCents: MAX_CENTS_PER_OPERATION + 1, method: 'card' }],
    ['a string', { amountCents: '5000', method: 'card' }],
    ['by wire', { amountCents: 5_000, method: 'wire' }],
    ['without a method', { amountCents: 5_000 }],
  ])(
    'refuses an amount or method %s with 400 VALIDATION_FAILED naming the field, writing nothing',
    async (_n, json) => {
      const o = await org();
      await writesNothing(o, async () => {
        const res = await topUp(o, json);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(res.body.error.details.fields[0].path).toMatch(/^body\.(amountCents|method)$/);
      });
    },
  );

  it('refuses a request without Idempotency-Key, writing nothing', async () => {
    const o = await org();
    await writesNothing(o, async () => {
      const res = await call('POST', '/v1/wallet/top-ups', {
        key: o.apiKey,
        json: { amountCents: 5_000, method: 'card' },
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.error.details.fields).toEqual([
        { path: 'headers.idempotency-key', message: 'is required' },
      ]);
    });
  });

  it(`refuses ACH outside ${ACH_TIERS.join(' and ')} with 409 ACH_NOT_AVAILABLE, and a BYO org with 409 WALLET_NOT_AVAILABLE`, async () => {
    for (const tier of ['free', 'plus', 'max', 'generative']) {
      const o = await org({ tier });
      await writesNothing(o, async () => {
        const res = await topUp(o, { amountCents: 5_000, method: 'ach' });
        expectError(res, 409, 'ACH_NOT_AVAILABLE');
        expect(res.body.error.details).toEqual({ tier, achTiers: ['pro', 'team'] });
      });
    }
    const team = await org({ tier: 'team' });
    expect((await topUp(team, { amountCents: 5_000, method: 'ach' })).status).toBe(201);
    const byo = await org({ mode: 'byo' });
    await writesNothing(byo, async () => {
      expectError(await topUp(byo, { amountCents: 5_000, method: 'card' }), 409, 'WALLET_NOT_AVAILABLE');
    });
  });
});

describe('PUT /v1/wallet/auto-top-up and PUT /v1/wallet/floor', () => {
  const settings = { enabled: true, thresholdCents: 20_000, amountCents: 10_000, dailyCapCents: 30_000 };

  it('set auto-top-up (with the time zone) and the floor, answer the wallet, and nudge the workflow', async () => {
    // Above the threshold, so an enabled auto-top-up has nothing to do.
    const o = await org({ balanceCents: 50_000 });
    const res = await call('PUT', '/v1/wallet/auto-top-up', {
      key: o.apiKey,
      json: { ...settings, timeZone: 'America/New_York' },
    });
    expect(res.status).toBe(200);
    expect(nudgesOf(o.orgId)).toEqual(['settings']);
    expect(res.body).toMatchObject({
      organizationId: o.orgId,
      timeZone: 'America/New_York',
      autoTopUp: { ...settings, usedTodayCents: 0, remainingTodayCents: 30_000 },
    });
    const floor = await call('PUT', '/v1/wallet/floor', { key: o.apiKey, json: { floorCents: 15_000 } });
    expect(floor.status).toBe(200);
    expect(floor.body).toMatchObject({
      floorCents: 15_000,
      resumeAtCents: resumeAtCents(15_000),
      timeZone: 'America/New_York',
      autoTopUp: settings,
    });
    expect(floor.body.resumeAtCents).toBe(16_500);
    expect(nudgesOf(o.orgId)).toEqual(['settings', 'settings']);
    // Disabled settings are kept as given; the time zone stays when not sent.
    const off = await call('PUT', '/v1/wallet/auto-top-up', {
      key: o.apiKey,
      json: { ...settings, enabled: false, dailyCapCents: 0 },
    });
    expect(off.body).toMatchObject({
      timeZone: 'America/New_York',
      autoTopUp: { enabled: false, dailyCapCents: 0 },
    });
    expect(nudgesOf(o.orgId)).toEqual(['settings', 'settings', 'settings']);
  });

  it.each([
    ['a cap below the amount', { ...settings, dailyCapCents: 9_999 }, 'dailyCapCents'],
    [
      'an amount below the minimum top-up',
      { ...settings, amountCents: 999, dailyCapCents: 999 },
      'amountCents',
    ],
    ['a threshold below the floor', { ...settings, thresholdCents: 4_999 }, 'thresholdCents'],
    ['an unknown time zone', { ...settings, timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['an offset for a time zone', { ...settings, timeZone: '+05:00' }, 'timeZone'],
    ['a negative threshold', { ...settings, thresholdCents: -1 }, 'body.thresholdCents'],
    ['a fractional amount', { ...settings, amountCents: 10_000.5 }, 'body.amountCents'],
    ['an absurd cap', { ...settings, dailyCapCents: MAX_CENTS_PER_OPERATION + 1 }, 'body.dailyCapCents'],
    ['a missing switch', { thresholdCents: 1, amountCents: 1, dailyCapCents: 1 }, 'body.enabled'],
    ['an unknown field', { ...settings, cap: 1 }, 'body.cap'],
  ])(
    'refuse auto-top-up with %s: 400 VALIDATION_FAILED naming the field, writing nothing',
    async (_n, json, field) => {
      const o = await org({ balanceCents: 50_000 });
      await updateWalletSettings(h.t.db, o.orgId, { floorCents: 5_000 });
      await writesNothing(o, async () => {
        const res = await call('PUT', '/v1/wallet/auto-top-up', { key: o.apiKey, json });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toEqual([field]);
      });
    },
  );

  it.each([
    ['above an enabled threshold', { floorCents: 20_001 }, 'floorCents'],
    ['negative', { floorCents: -100 }, 'body.floorCents'],
    ['fractional', { floorCents: 100.25 }, 'body.floorCents'],
    ['absurd', { floorCents: 1e12 }, 'body.floorCents'],
  ])(
    'refuse a floor %s: 400 VALIDATION_FAILED naming the field, writing nothing',
    async (_n, json, field) => {
      const o = await org({ balanceCents: 50_000 });
      await updateWalletSettings(h.t.db, o.orgId, { autoTopUp: settings });
      await writesNothing(o, async () => {
        const res = await call('PUT', '/v1/wallet/floor', { key: o.apiKey, json });
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toEqual([field]);
      });
    },
  );

  it('answer 409 WALLET_NOT_AVAILABLE for a BYO org, writing nothing', async () => {
    const byo = await org({ mode: 'byo' });
    await writesNothing(byo, async () => {
      expectError(
        await call('PUT', '/v1/wallet/auto-top-up', { key: byo.apiKey, json: settings }),
        409,
        'WALLET_NOT_AVAILABLE',
      );
      expectError(
        await call('PUT', '/v1/wallet/floor', { key: byo.apiKey, json: { floorCents: 0 } }),
        409,
        'WALLET_NOT_AVAILABLE',
      );
    });
    expect(nudgesOf(byo.orgId)).toEqual([]);
  });
});

describe('POST /v1/wallet/withdrawals', () => {
  const day = (n: number) => new Date(Date.UTC(2026, 2, n, 15));

  /**
   * An org funded by card top-ups of `amounts`, each succeeded (written straight to the ledger), after a
   * wire of `wireCents` when given.
   */
  async function fundedByCards(amounts: number[], wireCents?: number) {
    const o = await org({ balanceCents: wireCents, at: day(1) });
    const ids: number[] = [];
    for (const [i, amountCents] of amounts.entries()) {
      const { topUp } = await startTopUp(h.t.db, {
        orgId: o.orgId,
        method: 'card',
        amountCents,
        idempotencyKey: `fund-${i}`,
        at: day(2 + i),
      });
      await settleTopUp(h.t.db, {
        orgId: o.orgId,
        topUpKey: topUp.key,
        outcome: 'succeeded',
        at: day(2 + i),
      });
      ids.push(topUp.id);
    }
    return { ...o, topUpIds: ids };
  }

  const withdraw = (o: WalletOrg, json: unknown, key: string = randomUUID()) =>
    call('POST', '/v1/wallet/withdrawals', { key: o.apiKey, json, headers: idem(key) });

  it('refunds the newest charges first, less the processor fees; a repeat answers the same legs and plans none', async () => {
    pinned = day(20);
    const o = await fundedByCards([10_000, 20_000]);
    const res = await withdraw(o, { amountCents: 25_000 }, 'wd-1');
    expect(res.status).toBe(201);
    // Newest (20,000) first: all of it back, its fee on top; the older charge takes what is left.
    const first = { refund: 20_000, fee: refundFeeCents(20_000) };
    const left = 25_000 - first.refund - first.fee;
    expect(res.body.legs).toEqual([
      {
        topUpId: o.topUpIds[1],
        refundCents: 20_000,
        feeCents: first.fee,
        status: 'pending',
        requestedAt: pinned.toISOString(),
      },
      {
        topUpId: o.topUpIds[0],
        refundCents: expect.any(Number),
        feeCents: expect.any(Number),
        status: 'pending',
        requestedAt: pinned.toISOString(),
      },
    ]);
    const second = res.body.legs[1];
    expect(second.refundCents + second.feeCents).toBeLessThanOrEqual(left);
    expect(second.feeCents).toBe(refundFeeCents(second.refundCents));
    expect(res.body).toMatchObject({
      withdrawalId: 'wd-1',
      requestedCents: 25_000,
      refundedCents: 20_000 + second.refundCents,
      feeCents: first.fee + second.feeCents,
      debitedCents: 20_000 + first.fee + second.refundCents + second.feeCents,
      unrefundedCents: left - second.refundCents - second.feeCents,
      balanceCents: 30_000 - res.body.debitedCents,
      pendingCents: 0,
    });
    expect(nudgesOf(o.orgId)).toEqual(['withdrawal']);

    const again = await withdraw(o, { amountCents: 25_000 }, 'wd-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(res.body);
    const legs = await h.t.db
      .selectFrom('wallet_withdrawal_legs')
      .select('id')
      .where('org_id', '=', o.orgId)
      .execute();
    expect(legs).toHaveLength(2);
    // The same key for another amount is refused, and writes nothing.
    await writesNothing(o, async () => {
      expectError(await withdraw(o, { amountCents: 1_000 }, 'wd-1'), 409, 'IDEMPOTENCY_KEY_REUSED');
    });
  });

  it('withdraws the whole settled balance for `{}`; what no card can take back stays as unrefundedCents', async () => {
    // A wire has no card to go back to: only the card charge (and less its fee) is refunded.
    const o = await fundedByCards([1_000], 5_000);
    const res = await withdraw(o, {});
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      requestedCents: 6_000,
      legs: [{ topUpId: o.topUpIds[0], refundCents: 1_000, feeCents: refundFeeCents(1_000) }],
      refundedCents: 1_000,
      feeCents: 59,
      debitedCents: 1_059,
      unrefundedCents: 4_941,
      balanceCents: 4_941,
    });
  });

  it.each([
    ['more than the settled balance', { amountCents: 30_001 }, 409, 'WALLET_INSUFFICIENT_BALANCE'],
    ['a negative amount', { amountCents: -1 }, 400, 'VALIDATION_FAILED'],
    ['a fractional amount', { amountCents: 10.5 }, 400, 'VALIDATION_FAILED'],
    ['an absurd amount', { amountCents: 2 ** 53 }, 400, 'VALIDATION_FAILED'],
    ['zero', { amountCents: 0 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s, writing nothing', async (_n, json, status, code) => {
    const o = await fundedByCards([10_000, 20_000]);
    await writesNothing(o, async () => expectError(await withdraw(o, json), status, code));
  });

  it('refuses a request without Idempotency-Key, and a BYO org, writing nothing', async () => {
    const o = await fundedByCards([10_000]);
    await writesNothing(o, async () => {
      const res = await call('POST', '/v1/wallet/withdrawals', { key: o.apiKey, json: {} });
      expectError(res, 400, 'VALIDATION_FAILED');
    });
    const byo = await org({ mode: 'byo' });
    await writesNothing(byo, async () => expectError(await withdraw(byo, {}), 409, 'WALLET_NOT_AVAILABLE'));
  });
});

describe('POST /v1/wallet/spend', () => {
  const bill = (o: WalletOrg, extra: Record<string, unknown> = {}) => ({
    platform: 'meta',
    projectId: o.projectId,
    amountCents: 10_000,
    occurredAt: '2026-03-10T09:30:00Z',
    externalId: randomUUID(),
    ...extra,
  });
  const spend = (key: string, json: unknown) => call('POST', '/v1/wallet/spend', { key, json });

  it('debits a bill and its 5% fee: 201, then 200 for its repeat, which debits nothing; only a crossing bill nudges', async () => {
    const o = await org({ balanceCents: 50_000 });
    const json = bill(o, { externalId: 'meta-bill-1' });
    const res = await spend(o.spendKey, json);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      duplicate: false,
      debit: {
        platform: 'meta',
        externalId: 'meta-bill-1',
        projectId: o.projectId,
        spendCents: 10_000,
        feeCents: 500,
        feeBps: 500,
        occurredAt: '2026-03-10T09:30:00.000Z',
        balanceAfterCents: 39_500,
        crossedThreshold: false,
        crossedFloor: false,
      },
      balanceCents: 39_500,
      pendingCents: 0,
    });
    const again = await spend(o.spendKey, json);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...res.body, duplicate: true });
    // Above the floor, nothing crossed: the wallet workflow is not told.
    expect(nudgesOf(o.orgId)).toEqual([]);
  });

  it('nudges the wallet workflow for the bill that takes the balance below the floor, and again for its repeat', async () => {
    const o = await org({ balanceCents: 10_000 });
    await updateWalletSettings(h.t.db, o.orgId, { floorCents: 5_000 });
    const first = await spend(o.spendKey, bill(o, { amountCents: 4_000 }));
    expect(first.body.debit.crossedFloor).toBe(false);
    const json = bill(o, { amountCents: 2_000 });
    const crossing = await spend(o.spendKey, json);
    expect(crossing.status).toBe(201);
    expect(crossing.body.debit).toMatchObject({ crossedFloor: true, balanceAfterCents: 3_700 });
    expect(nudgesOf(o.orgId)).toEqual(['debit']);
    expect((await spend(o.spendKey, json)).status).toBe(200);
    expect(nudgesOf(o.orgId)).toEqual(['debit', 'debit']);
    // Below the floor already: the next bill crosses nothing and is not told.
    await spend(o.spendKey, bill(o, { amountCents: 1_000 }));
    expect(nudgesOf(o.orgId)).toEqual(['debit', 'debit']);
  });

  it('answers 503 ENGINE_UNAVAILABLE when the nudge cannot reach Temporal; the retry is a no-op debit that nudges', async () => {
    // The same API over a Temporal address nothing listens on.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    let down: FastifyInstance | undefined;
    try {
      down = buildApi({
        db: h.t.db,
        generations: undefined as never,
        wallet: createWalletClient({
          client: new Client({ connection }),
          taskQueue: api.taskQueue,
          engineTimeoutMs: 500,
        }),
        config: NO_RATE_LIMITS,
      });
      await down.listen({ port: 0, host: '127.0.0.1' });
      const downUrl = `http://127.0.0.1:${(down.server.address() as AddressInfo).port}`;
      const o = await org({ balanceCents: 1_000 });
      const json = bill(o, { amountCents: 2_000 }); // below the floor of 0: crossed
      const res = await callApi(downUrl, 'POST', '/v1/wallet/spend', { key: o.spendKey, json });
      expectError(res, 503, 'ENGINE_UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('2');
      const retry = await spend(o.spendKey, json);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({
        duplicate: true,
        balanceCents: -1_100,
        debit: { crossedFloor: true },
      });
      expect(nudgesOf(o.orgId)).toEqual(['debit']);
    } finally {
      await down?.close();
      await connection.close().catch(() => undefined);
    }
  });

  it('refuses a key without the wallet:spend scope with 403 SCOPE_REQUIRED, writing nothing', async () => {
    const o = await org({ balanceCents: 50_000 });
    await writesNothing(o, async () => {
      const res = await spend(o.apiKey, bill(o));
      expectError(res, 403, 'SCOPE_REQUIRED');
      expect(res.body.error.details).toEqual({ scope: 'wallet:spend' });
    });
  });

  it.each([
    ['an unknown platform', { platform: 'myspace' }, 400, 'UNKNOWN_PLATFORM'],
    ['a negative amount', { amountCents: -100 }, 400, 'VALIDATION_FAILED'],
    ['a zero amount', { amountCents: 0 }, 400, 'VALIDATION_FAILED'],
    ['a fractional amount', { amountCents: 99.5 }, 400, 'VALIDATION_FAILED'],
    ['an absurd amount', { amountCents: MAX_CENTS_PER_OPERATION + 1 }, 400, 'VALIDATION_FAILED'],
    ['an impossible date', { occurredAt: '2026-02-30T10:00:00Z' }, 400, 'VALIDATION_FAILED'],
    ['a date without a zone', { occurredAt: '2026-03-01T10:00:00' }, 400, 'VALIDATION_FAILED'],
    ['a blank bill id', { externalId: '   ' }, 400, 'VALIDATION_FAILED'],
    ['a project that does not exist', { projectId: 'prj_nope' }, 404, 'NOT_FOUND'],
  ])('refuses %s, writing nothing', async (_n, extra, status, code) => {
    const o = await org({ balanceCents: 50_000 });
    await writesNothing(o, async () => expectError(await spend(o.spendKey, bill(o, extra)), status, code));
  });

  it("refuses another org's project with 404, a BYO org with 409, and a bill id reused for another amount with 409", async () => {
    const o = await org({ balanceCents: 50_000 });
    const other = await org({ balanceCents: 50_000 });
    await writesNothing(other, async () => {
      await writesNothing(o, async () => {
        const res = await spend(o.spendKey, bill(o, { projectId: other.projectId }));
        expectError(res, 404, 'NOT_FOUND');
      });
    });
    const byo = await org({ mode: 'byo' });
    await writesNothing(byo, async () =>
      expectError(await spend(byo.spendKey, bill(byo)), 409, 'WALLET_NOT_AVAILABLE'),
    );
    const json = bill(o);
    expect((await spend(o.spendKey, json)).status).toBe(201);
    await writesNothing(o, async () =>
      expectError(await spend(o.spendKey, { ...json, amountCents: 10_001 }), 409, 'IDEMPOTENCY_KEY_REUSED'),
    );
  });
});

describe('GET /v1/wallet/transactions', () => {
  /** An org with a wire, bills on two projects and platforms, and an ACH top-up in flight (via the ledger). */
  async function withHistory() {
    const o = await org({ balanceCents: 100_000, at: new Date('2026-03-01T12:00:00Z') });
    const second = (await createProject(h.t.db, o.orgId, 'Second')).projectId;
    const bills = [
      { platform: 'meta', projectId: o.projectId, amountCents: 1_000, occurredAt: '2026-03-02T10:00:00Z' },
      { platform: 'google', projectId: second, amountCents: 2_000, occurredAt: '2026-03-03T10:00:00Z' },
      { platform: 'meta', projectId: second, amountCents: 3_000, occurredAt: '2026-03-04T10:00:00Z' },
    ];
    for (const [i, b] of bills.entries()) {
      await recordSpend(h.t.db, { orgId: o.orgId, ...b, externalId: `bill-${i}` });
    }
    await startTopUp(h.t.db, {
      orgId: o.orgId,
      method: 'ach',
      amountCents: 20_000,
      idempotencyKey: 'ach',
      at: new Date('2026-03-05T10:00:00Z'),
    });
    return { ...o, second };
  }

  const list = (o: WalletOrg, query = '') =>
    call('GET', `/v1/wallet/transactions${query}`, { key: o.apiKey });

  it('lists the ledger newest first, each row with its key, deltas and the balance after it', async () => {
    const o = await withHistory();
    const res = await list(o);
    expect(res.status).toBe(200);
    const rows = res.body.data;
    expect(rows.map((r: { entryType: string }) => r.entryType)).toEqual([
      'top_up_started',
      'fee',
      'spend',
      'fee',
      'spend',
      'fee',
      'spend',
      'wire_credit',
    ]);
    expect(res.body.nextCursor).toBeNull();
    expect(rows[0]).toMatchObject({
      balanceDeltaCents: 0,
      pendingDeltaCents: 20_000,
      balanceAfterCents: 100_000 - 6_300,
      pendingAfterCents: 20_000,
      effectiveAt: '2026-03-05T10:00:00.000Z',
      key: expect.stringContaining(':manual:ach:start'),
    });
    expect(rows[1]).toMatchObject({
      entryType: 'fee',
      platform: 'meta',
      projectId: o.second,
      externalId: 'bill-2',
      balanceDeltaCents: -150,
      balanceAfterCents: 93_700,
      key: 'wallet-debit:meta:bill-2:fee',
    });
    expect(rows.at(-1)).toMatchObject({
      entryType: 'wire_credit',
      balanceDeltaCents: 100_000,
      balanceAfterCents: 100_000,
    });
    // Each row's balance is the next (older) row's plus its own delta.
    for (let i = 0; i < rows.length - 1; i++) {
      expect(rows[i].balanceAfterCents - rows[i].balanceDeltaCents).toBe(rows[i + 1].balanceAfterCents);
      expect(rows[i].pendingAfterCents - rows[i].pendingDeltaCents).toBe(rows[i + 1].pendingAfterCents);
    }
    // Another org sees none of it.
    const other = await org({ balanceCents: 1_000 });
    const theirs = await list(other);
    expect(theirs.body.data.map((r: { entryType: string }) => r.entryType)).toEqual(['wire_credit']);
  });

  it('pages with the cursor, and filters by project, platform, entry type and effective time', async () => {
    const o = await withHistory();
    const all = (await list(o)).body.data;
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(o, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);

    const byProject = (await list(o, `?projectId=${o.second}`)).body.data;
    expect(byProject.map((r: { externalId: string }) => r.externalId)).toEqual([
      'bill-2',
      'bill-2',
      'bill-1',
      'bill-1',
    ]);
    // Filtered rows keep the balance after them in the whole ledger.
    expect(byProject[0].balanceAfterCents).toBe(all[1].balanceAfterCents);
    const google = (await list(o, '?platform=google')).body.data;
    expect(google.map((r: { entryType: string }) => r.entryType)).toEqual(['fee', 'spend']);
    const fees = (await list(o, '?entryType=fee&platform=meta')).body.data;
    expect(fees.map((r: { balanceDeltaCents: number }) => r.balanceDeltaCents)).toEqual([-150, -50]);
    const window = (await list(o, '?from=2026-03-03T00:00:00Z&to=2026-03-04T10:00:00Z')).body.data;
    expect(window.map((r: { externalId: string }) => r.externalId)).toEqual(['bill-1', 'bill-1']);
    const paging = await list(o, '?entryType=spend&limit=1');
    expect(paging.body.data).toHaveLength(1);
    const next = await list(o, `?entryType=spend&limit=1&cursor=${paging.body.nextCursor}`);
    expect(next.body.data[0].externalId).toBe('bill-1');
  });

  it.each([
    ['an unknown platform', '?platform=myspace', 'UNKNOWN_PLATFORM'],
    ['an unknown entry type', '?entryType=refund', 'VALIDATION_FAILED'],
    ['a cursor it never gave', '?cursor=abc', 'VALIDATION_FAILED'],
    ['a limit of 0', '?limit=0', 'VALIDATION_FAILED'],
    ['a limit past the maximum', '?limit=101', 'VALIDATION_FAILED'],
    ['a from that is not a date-time', '?from=yesterday', 'VALIDATION_FAILED'],
  ])('refuses %s with 400', async (_n, query, code) => {
    const o = await org();
    expectError(await list(o, query), 400, code);
  });

  it('answers 409 WALLET_NOT_AVAILABLE for a BYO org', async () => {
    const byo = await org({ mode: 'byo' });
    expectError(await list(byo), 409, 'WALLET_NOT_AVAILABLE');
  });
});
