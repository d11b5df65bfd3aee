import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDIT_PACKS } from '../../src/credit-packs/catalog';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../../src/credits/amounts';
import { createApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import type { CallOptions } from '../support/api';
import { callAsSession, signIn } from '../support/dashboard';
import { startPaymentsApi, type PaymentsApi } from './payments-api';
import { fingerprint } from '../support/fixtures';
import { intentsOf, orgWithCard, type PaymentsHarness } from '../credit-packs/support';

/**
 * The credit-pack and Stripe-webhook routes over real HTTP: the pack is charged through localstripe and
 * granted in PostgreSQL by the real workflow; the webhook route must verify the signature over the exact
 * bytes sent, which only a real request proves.
 */
const WEBHOOK_SECRET = 'whsec_test_routes';
let api: PaymentsApi;
let h: PaymentsHarness;

beforeAll(async () => {
  api = await startPaymentsApi({ webhookSecret: WEBHOOK_SECRET });
  h = api.h;
});

afterAll(async () => {
  if (h) expect(await findDrift(h.t.db)).toEqual([]);
  await api?.stop();
});

const call = (method: string, path: string, opts?: CallOptions) => api.call(method, path, opts);

async function payingOrg(card: string) {
  const org = await orgWithCard(h, { tier: 'max', card });
  const { apiKey } = await createApiKey(h.t.db, org.orgId);
  return { ...org, apiKey };
}

describe('POST /v1/credit-packs', () => {
  it('charges the tier price once and grants the pack once, however often it is retried', async () => {
    const org = await payingOrg('pm_card_visa');
    const buy = () =>
      call('POST', '/v1/credit-packs', {
        key: org.apiKey,
        json: { packId: 'pack_500' },
        // The longest key the document allows: the same limit as the code's.
        headers: { 'idempotency-key': 'b'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH) },
      });
    const first = await buy();
    expect(first.status).toBe(201);
    // Max gets 20% off: $41.00 list, $32.80 paid.
    expect(first.body).toMatchObject({
      packId: 'pack_500',
      status: 'succeeded',
      creditsGranted: 500,
      listPriceCents: 4100,
      amountCents: 3280,
      credits: { prepaidBalance: 500 },
    });
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await buy();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.purchaseId).toBe(first.body.purchaseId);
    expect(again.body.credits.prepaidBalance).toBe(500);
    expect(await intentsOf(h, org.customerId!, first.body.purchaseId)).toHaveLength(1);

    const view = await call('GET', `/v1/credit-packs/${first.body.purchaseId}`, { key: org.apiKey });
    expect(view.body).toMatchObject({ status: 'succeeded', amountCents: 3280, declineCode: null });
    const credits = await call('GET', '/v1/credits', { key: org.apiKey });
    expect(credits.body.prepaidBalance).toBe(500);
  });

  it('answers a declined card with 402 PAYMENT_DECLINED and the decline code, granting nothing', async () => {
    const org = await payingOrg('pm_card_chargeCustomerFail');
    const r = await call('POST', '/v1/credit-packs', {
      key: org.apiKey,
      json: { packId: 'pack_100' },
      headers: { 'idempotency-key': 'buy-2' },
    });
    expect(r.status).toBe(402);
    expect(r.body.error).toMatchObject({
      code: 'PAYMENT_DECLINED',
      details: { declineCode: 'card_declined' },
    });
    const credits = await call('GET', '/v1/credits', { key: org.apiKey });
    expect(credits.body.prepaidBalance).toBe(0);
  });

  it("refuses bad requests and another org's purchase, writing nothing", async () => {
    const a = await payingOrg('pm_card_visa');
    const b = await payingOrg('pm_card_visa');
    const bought = await call('POST', '/v1/credit-packs', {
      key: a.apiKey,
      json: { packId: 'pack_100' },
      headers: { 'idempotency-key': 'buy-3' },
    });
    expect(bought.status).toBe(201);
    const before = await fingerprint(h.t.db);
    const cases: Array<[CallOptions, number, string]> = [
      [{ json: { packId: 'pack_7' }, headers: { 'idempotency-key': 'k1' } }, 400, 'VALIDATION_FAILED'],
      [{ json: { packId: 'pack_100' } }, 400, 'VALIDATION_FAILED'],
      [
        { json: { packId: 'pack_100', credits: 5 }, headers: { 'idempotency-key': 'k2' } },
        400,
        'VALIDATION_FAILED',
      ],
      [{ json: { packId: 500 }, headers: { 'idempotency-key': 'k3' } }, 400, 'VALIDATION_FAILED'],
      [
        { json: { packId: 'pack_100' }, headers: { 'idempotency-key': 'k'.repeat(256) } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        { json: { packId: 'pack_500' }, headers: { 'idempotency-key': 'buy-3' } },
        409,
        'IDEMPOTENCY_KEY_REUSED',
      ],
    ];
    for (const [opts, status, code] of cases) {
      const r = await call('POST', '/v1/credit-packs', { key: a.apiKey, ...opts });
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status, code });
    }
    const nul = await call('GET', '/v1/credit-packs/cpp_%00', { key: a.apiKey });
    expect({ status: nul.status, code: nul.body.error?.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const foreign = await call('GET', `/v1/credit-packs/${bought.body.purchaseId}`, { key: b.apiKey });
    expect({ status: foreign.status, code: foreign.body.error?.code }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(await fingerprint(h.t.db)).toEqual(before);
  });
});

describe('GET /v1/credit-packs', () => {
  it("lists every pack at the org's tier price, the price the purchase then charges", async () => {
    const max = await payingOrg('pm_card_visa');
    const listed = await call('GET', '/v1/credit-packs', { key: max.apiKey });
    expect(listed.status).toBe(200);
    // Max's permanent 20% (seed 003), rounded down to the cent: written out, not recomputed.
    expect(listed.body.data).toEqual([
      {
        packId: 'pack_100',
        credits: 100,
        listPriceCents: 1000,
        discountBps: 2000,
        discountCents: 200,
        amountCents: 800,
      },
      {
        packId: 'pack_500',
        credits: 500,
        listPriceCents: 4100,
        discountBps: 2000,
        discountCents: 820,
        amountCents: 3280,
      },
      {
        packId: 'pack_2000',
        credits: 2000,
        listPriceCents: 15000,
        discountBps: 2000,
        discountCents: 3000,
        amountCents: 12000,
      },
    ]);
    const pack = listed.body.data[2];
    const bought = await call('POST', '/v1/credit-packs', {
      key: max.apiKey,
      json: { packId: pack.packId },
      headers: { 'idempotency-key': 'listed-2000' },
    });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({
      packId: pack.packId,
      creditsGranted: pack.credits,
      listPriceCents: pack.listPriceCents,
      discountBps: pack.discountBps,
      amountCents: pack.amountCents,
    });
    const [intent] = await intentsOf(h, max.customerId!, bought.body.purchaseId);
    expect(intent?.amount).toBe(pack.amountCents);
  });

  it('lists a tier without a pack discount at list price, the same through a dashboard session', async () => {
    const plus = await orgWithCard(h, { tier: 'plus', card: 'pm_card_visa' });
    const { apiKey } = await createApiKey(h.t.db, plus.orgId, { scopes: ['dashboard'] });
    const listed = await call('GET', '/v1/credit-packs', { key: apiKey });
    expect(listed.status).toBe(200);
    expect(
      listed.body.data.map((p: { packId: string; amountCents: number }) => [p.packId, p.amountCents]),
    ).toEqual(CREDIT_PACKS.map((p) => [p.id, p.listPriceCents]));
    expect(listed.body.data.every((p: { discountBps: number }) => p.discountBps === 0)).toBe(true);
    const session = await signIn(api.baseUrl, apiKey);
    expect((await callAsSession(api.baseUrl, session, 'GET', '/v1/credit-packs')).body).toEqual(listed.body);
  });

  it('refuses parameters and a missing key, and reads without writing', async () => {
    const org = await payingOrg('pm_card_visa');
    const before = await fingerprint(h.t.db);
    for (const path of ['/v1/credit-packs?tier=team', '/v1/credit-packs?discountBps=10000']) {
      const r = await call('GET', path, { key: org.apiKey });
      expect({ status: r.status, code: r.body.error?.code }).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const anonymous = await call('GET', '/v1/credit-packs');
    expect({ status: anonymous.status, code: anonymous.body.error?.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect((await call('GET', '/v1/credit-packs', { key: org.apiKey })).status).toBe(200);
    expect(await fingerprint(h.t.db)).toEqual(before);

    // Published like every /v1 route: the key or the dashboard session, nothing to send.
    const doc = (await call('GET', '/v1/openapi.json')).body;
    expect(doc.paths['/v1/credit-packs'].get).toMatchObject({
      operationId: 'listCreditPacks',
      parameters: [],
      security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    });
  });
});

describe('POST /v1/webhooks/stripe', () => {
  const event = (type: string) =>
    JSON.stringify({
      id: `evt_${type}_${Date.now()}`,
      object: 'event',
      type,
      data: { object: { id: 'x_1', object: 'thing', metadata: {} } },
    });
  const sign = (payload: string, secret = WEBHOOK_SECRET, timestamp?: number) =>
    h.stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  const post = (payload: string, signature?: string) =>
    call('POST', '/v1/webhooks/stripe', {
      raw: payload,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
    });

  it('verifies the signature over the exact bytes and acknowledges unknown event types', async () => {
    // Odd spacing on purpose: a route that re-serialized parsed JSON would break the signature.
    const payload = event('customer.created').replace('{', '{  ');
    const r = await post(payload, sign(payload));
    expect(r.status).toBe(200);
  });

  it('refuses forged, stale and missing signatures with 400 and stores nothing', async () => {
    const payload = event('payment_intent.succeeded');
    const before = await h.t.db.selectFrom('stripe_events').select('id').execute();
    for (const signature of [
      sign(payload, 'whsec_forged'),
      sign(payload, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301),
      undefined,
    ]) {
      const r = await post(payload, signature);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({
        status: 400,
        code: 'INVALID_SIGNATURE',
      });
    }
    expect(await h.t.db.selectFrom('stripe_events').select('id').execute()).toEqual(before);
  });
});
