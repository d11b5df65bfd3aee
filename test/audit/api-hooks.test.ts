import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, prefixOf } from '../../src/auth/api-keys';
import { verifyAuditChains } from '../../src/audit/verify';
import { findDrift } from '../../src/credits/reconcile';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { orgWithCard, type PaymentsHarness } from '../credit-packs/support';
import { NO_RATE_LIMITS } from '../support/fixtures';
import { startPaymentsApi, type PaymentsApi } from '../api/payments-api';
import { walletOrg } from '../api/wallet-support';
import { auditOf } from './support';

/**
 * The routes that change money or billing settings record who asked (the API key, by its prefix), what,
 * before and after, and what the workflow then did as its own; a repeat or an unchanged setting records
 * nothing, and a refused request writes no audit row. Real HTTP, PostgreSQL, Temporal and localstripe.
 */
let api: PaymentsApi;
let h: PaymentsHarness;

beforeAll(async () => {
  api = await startPaymentsApi({ config: NO_RATE_LIMITS, webhookSecret: 'whsec_test_audit' });
  h = api.h;
});

afterAll(async () => {
  if (h) {
    expect(await findDrift(h.t.db)).toEqual([]);
    expect(await findWalletDrift(h.t.db)).toEqual([]);
    expect(await verifyAuditChains(h.t.db)).toMatchObject({ ok: true, breaks: [] });
  }
  await api?.stop();
});

const idem = (key: string = randomUUID()) => ({ 'idempotency-key': key });

describe('the wallet routes', () => {
  it('settings: one event per change with before and after, none for an unchanged or refused one', async () => {
    const o = await walletOrg(h, { tier: 'pro', balanceCents: 500_00 });
    const actor = `api_key:${prefixOf(o.apiKey)}`;
    const autoTopUp = { enabled: true, thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 200_00 };
    expect(
      (await api.call('PUT', '/v1/wallet/floor', { key: o.apiKey, json: { floorCents: 20_00 } })).status,
    ).toBe(200);
    expect(
      (await api.call('PUT', '/v1/wallet/floor', { key: o.apiKey, json: { floorCents: 20_00 } })).status,
    ).toBe(200);
    const set = await api.call('PUT', '/v1/wallet/auto-top-up', {
      key: o.apiKey,
      json: { ...autoTopUp, timeZone: 'Europe/Paris' },
    });
    expect(set.status).toBe(200);
    // Refused (a cap below the amount): 400, and nothing recorded.
    const refused = await api.call('PUT', '/v1/wallet/auto-top-up', {
      key: o.apiKey,
      json: { ...autoTopUp, dailyCapCents: 10_00 },
    });
    expect(refused.status).toBe(400);
    const events = await auditOf(h.t.db, o.orgId);
    expect(events.map((e) => [e.actor, e.action, e.before, e.after])).toEqual([
      [actor, 'wallet.floor_updated', { floorCents: 0 }, { floorCents: 20_00 }],
      [
        actor,
        'wallet.auto_top_up_updated',
        { enabled: false, thresholdCents: 0, amountCents: 0, dailyCapCents: 0, timeZone: 'UTC' },
        { ...autoTopUp, timeZone: 'Europe/Paris' },
      ],
    ]);
    expect(events[0]!.key).toMatch(/^request:/);
    expect(events[1]!.key).toBe(`request:${set.headers.get('x-request-id')}`);
  });

  it('a card top-up: asked for by the key, charged by the workflow; its repeat records nothing', async () => {
    const o = await walletOrg(h, { tier: 'max', balanceCents: 10_00, card: 'pm_card_visa' });
    const headers = idem();
    const first = await api.call('POST', '/v1/wallet/top-ups', {
      key: o.apiKey,
      json: { amountCents: 25_00, method: 'card' },
      headers,
    });
    expect(first.body.topUp.status).toBe('succeeded');
    await api.call('POST', '/v1/wallet/top-ups', {
      key: o.apiKey,
      json: { amountCents: 25_00, method: 'card' },
      headers,
    });
    const { business_key: key } = await h.t.db
      .selectFrom('wallet_top_ups')
      .select('business_key')
      .where('org_id', '=', o.orgId)
      .where('method', '=', 'card')
      .executeTakeFirstOrThrow();
    const events = await auditOf(h.t.db, o.orgId);
    expect(events.map((e) => [e.actor, e.action, e.key])).toEqual([
      [`api_key:${prefixOf(o.apiKey)}`, 'wallet.top_up_requested', key],
      [`workflow:wallet:${o.orgId}`, 'wallet.top_up_succeeded', key],
    ]);
    expect(events[0]!.after).toMatchObject({
      amountCents: 25_00,
      method: 'card',
      trigger: 'manual',
      status: 'pending',
    });
  });

  it('a withdrawal: once per Idempotency-Key, with its legs', async () => {
    const o = await walletOrg(h, { tier: 'max', balanceCents: 10_00, card: 'pm_card_visa' });
    const topUp = await api.call('POST', '/v1/wallet/top-ups', {
      key: o.apiKey,
      json: { amountCents: 50_00, method: 'card' },
      headers: idem(),
    });
    expect(topUp.body.topUp.status).toBe('succeeded');
    const headers = idem();
    const w = await api.call('POST', '/v1/wallet/withdrawals', {
      key: o.apiKey,
      json: { amountCents: 20_00 },
      headers,
    });
    expect(w.status).toBe(201);
    await api.call('POST', '/v1/wallet/withdrawals', {
      key: o.apiKey,
      json: { amountCents: 20_00 },
      headers,
    });
    const withdrawals = (await auditOf(h.t.db, o.orgId)).filter(
      (e) => e.action === 'wallet.withdrawal_requested',
    );
    expect(withdrawals).toHaveLength(1);
    expect(withdrawals[0]).toMatchObject({
      actor: `api_key:${prefixOf(o.apiKey)}`,
      after: { requestedCents: 20_00, legs: [{ topUpId: topUp.body.topUp.id }] },
    });
    expect(withdrawals[0]!.key).toBe(`wallet-withdrawal:${o.orgId}:${headers['idempotency-key']}`);
  });
});

describe('credits and subscriptions', () => {
  it('the credit alert when its threshold changes; a pack purchase once; a cancel as asked and as applied', async () => {
    const org = await orgWithCard(h, { tier: 'max', card: 'pm_card_visa' });
    const apiKey = (await createApiKey(h.t.db, org.orgId)).apiKey;
    const actor = `api_key:${prefixOf(apiKey)}`;
    for (const thresholdCredits of [100, 100, null]) {
      expect(
        (await api.call('PUT', '/v1/credits/alerts', { key: apiKey, json: { thresholdCredits } })).status,
      ).toBe(200);
    }
    const packHeaders = idem();
    const pack = await api.call('POST', '/v1/credit-packs', {
      key: apiKey,
      json: { packId: 'pack_100' },
      headers: packHeaders,
    });
    expect(pack.status).toBe(201);
    await api.call('POST', '/v1/credit-packs', {
      key: apiKey,
      json: { packId: 'pack_100' },
      headers: packHeaders,
    });
    // An unknown pack opens no purchase: nothing to record.
    const unknown = await api.call('POST', '/v1/credit-packs', {
      key: apiKey,
      json: { packId: 'pack_x' },
      headers: idem(),
    });
    expect(unknown.status).toBe(400);

    await api.startBilling(org.orgId);
    const cancelHeaders = idem();
    const cancel = await api.call('POST', '/v1/subscription/cancel', { key: apiKey, headers: cancelHeaders });
    expect(cancel.status).toBe(200);
    const events = await auditOf(h.t.db, org.orgId);
    expect(events.map((e) => [e.actor, e.action])).toEqual([
      [actor, 'credits.alert_updated'],
      [actor, 'credits.alert_updated'],
      [actor, 'credit_pack.purchase_requested'],
      [`workflow:org-billing:${org.orgId}`, 'subscription.updated'],
      [actor, 'subscription.cancel_requested'],
    ]);
    expect(events.slice(0, 2).map((e) => [e.before, e.after])).toEqual([
      [{ thresholdCredits: null }, { thresholdCredits: 100 }],
      [{ thresholdCredits: 100 }, { thresholdCredits: null }],
    ]);
    expect(events[2]).toMatchObject({
      key: pack.body.purchaseId,
      after: { packId: 'pack_100', credits: 100 },
    });
    expect(events[3]).toMatchObject({
      before: { cancelAtPeriodEnd: false },
      after: { cancelAtPeriodEnd: true },
    });
    expect(events[4]).toMatchObject({
      key: `idempotency:${cancelHeaders['idempotency-key']}`,
      after: { outcome: 'cancel_at_period_end', cancelAtPeriodEnd: true },
    });
  });
});
