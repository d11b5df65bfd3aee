import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../../activities/index';
import { buildApi } from '../../src/api/server';
import { createApiKey } from '../../src/auth/api-keys';
import { billingInputFor, createBillingClient } from '../../src/billing/client';
import { listCharges } from '../../src/billing/charges';
import { firstPeriod } from '../../src/billing/clock';
import { initialSubscription, startOrgBilling } from '../../src/billing/enroll';
import { billingWorkflowId } from '../../src/billing/ids';
import { planPrice, publishedPrices } from '../../src/billing/prices';
import { saveInitialSubscription, saveSubscription } from '../../src/billing/subscriptions';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { createGenerationClient } from '../../src/generations/client';
import { createProject } from '../../src/orgs/orgs';
import { workflowBundle } from '../../src/temporal/worker';
import { callApi, type ApiResponse, type CallOptions } from '../support/api';
import { callAsSession, signIn } from '../support/dashboard';
import { startPaymentsApi, type PaymentsApi } from './payments-api';
import { fingerprint, makeOrg, NO_RATE_LIMITS } from '../support/fixtures';
import { freshTaskQueue, orgWithCard, type PaymentsHarness } from '../credit-packs/support';

/**
 * The subscription routes over real HTTP: reads and previews from the read model, changes through the
 * real org-billing workflow and its activities (localstripe charging and refunding), the 402 a paused or
 * canceled org's generations get, credit alerts, and the project limit. Every bad input is next to its
 * good case and proven to write nothing.
 */
let api: PaymentsApi;
let h: PaymentsHarness;
let client: Client;
/** The business time previews are computed at; the wall clock unless a test pins it. */
let pinned: Date | undefined;

beforeAll(async () => {
  api = await startPaymentsApi({ clock: () => pinned ?? new Date(), config: NO_RATE_LIMITS });
  h = api.h;
  client = api.client;
});

afterEach(async () => {
  pinned = undefined;
  expect(await findDrift(h.t.db)).toEqual([]);
});

afterAll(async () => {
  await api?.stop();
});

const call = (method: string, path: string, opts?: CallOptions) => api.call(method, path, opts);
const idem = (key = randomUUID()) => ({ 'idempotency-key': key });

/** An org with a card, anchored now on the workflow clock, its billing workflow started. */
async function subscribed(tier: string, opts: { chargeFirstPeriod?: boolean } = {}) {
  const anchor = new Date(await h.env.currentTimeMs());
  const org = await orgWithCard(h, { tier, anchor });
  const apiKey = (await createApiKey(h.t.db, org.orgId)).apiKey;
  await api.startBilling(org.orgId, { chargeFirstPeriod: opts.chargeFirstPeriod ?? true });
  await settled(org.orgId);
  return { ...org, apiKey, anchor };
}

/**
 * Until the workflow sleeps until its next boundary (its history ends with that timer), so that later
 * checks that nothing was written see only what they did.
 */
async function settled(orgId: string): Promise<void> {
  const handle = client.workflow.getHandle(billingWorkflowId(orgId));
  await vi.waitFor(
    async () => {
      const { events } = await handle.fetchHistory();
      expect(events?.at(-1)?.timerStartedEventAttributes).toBeTruthy();
    },
    { timeout: 20_000, interval: 50 },
  );
}

/** An org whose subscription exists only in the read model (no workflow): for previews at pinned times. */
async function readModelOnly(tier: string, anchor: Date) {
  const org = await makeOrg(h.t.db, { tier, anchor });
  await saveInitialSubscription(h.t.db, initialSubscription(await billingInputFor(h.t.db, org.orgId)));
  return { ...org, apiKey: (await createApiKey(h.t.db, org.orgId)).apiKey };
}

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
}

describe('GET /v1/subscription', () => {
  it('reads the subscription the workflow keeps, with the prices of its plan, without asking Temporal', async () => {
    const org = await subscribed('max');
    const res = await call('GET', '/v1/subscription', { key: org.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      organizationId: org.orgId,
      tier: 'max',
      interval: 'month',
      seats: 1,
      status: 'active',
      anchor: org.anchor.toISOString(),
      currentPeriod: {
        start: org.anchor.toISOString(),
        end: firstPeriod(org.anchor, 'month').end.toISOString(),
      },
      cancelAtPeriodEnd: false,
      scheduledChange: null,
      price: { baseCents: 4_900, extraSeats: 0, extraSeatCents: 1_500, totalCents: 4_900 },
      tierPrices: publishedPrices().max,
    });
    expect(res.body.nextRenewalAt).toBe(res.body.currentPeriod.end);
  });

  it('answers 404 NOT_FOUND for an org that has no subscription yet', async () => {
    const org = await makeOrg(h.t.db, { tier: 'plus' });
    const key = (await createApiKey(h.t.db, org.orgId)).apiKey;
    const res = await call('GET', '/v1/subscription', { key });
    expectError(res, 404, 'NOT_FOUND');
    expect(res.body.error.details).toMatchObject({ resource: 'subscription', id: org.orgId });
  });
});

describe('POST /v1/subscription/preview', () => {
  // April 2026 has 30 days, so the 16th at midnight leaves exactly half of the period.
  const anchor = new Date('2026-04-01T00:00:00Z');
  const half = new Date('2026-04-16T00:00:00Z');

  it('shows the lines and amounts a change would charge or refund at the pinned `at`, writing nothing', async () => {
    const org = await readModelOnly('max', anchor);
    pinned = half;
    const before = await fingerprint(h.t.db);
    const preview = (json: unknown) => call('POST', '/v1/subscription/preview', { key: org.apiKey, json });

    const upgrade = await preview({ tier: 'team' });
    expect(upgrade.status).toBe(200);
    expect(upgrade.body).toEqual({
      at: half.toISOString(),
      outcome: 'applied_now',
      direction: 'upgrade',
      from: { tier: 'max', interval: 'month', seats: 1 },
      to: { tier: 'team', interval: 'month', seats: 1 },
      effectiveAt: half.toISOString(),
      lines: [
        {
          description: expect.stringMatching(/^Unused time on Max/),
          amountCents: -2_450,
          kind: 'unused_time',
        },
        {
          description: expect.stringMatching(/^Remaining time on Team/),
          amountCents: 24_950,
          kind: 'remaining_time',
        },
      ],
      totalCents: 22_500,
      settlement: 'charge',
      scheduledChange: null,
    });

    // Two more seats than max includes: $15 each for the half period left.
    expect((await preview({ seats: 5 })).body).toMatchObject({
      direction: 'upgrade',
      totalCents: -2_450 + 3_950,
    });
    // A downgrade waits for the renewal unless asked for now, which refunds the difference.
    expect((await preview({ tier: 'plus' })).body).toMatchObject({
      outcome: 'scheduled',
      direction: 'downgrade',
      effectiveAt: '2026-05-01T00:00:00.000Z',
      lines: [],
      totalCents: 0,
      settlement: 'none',
      scheduledChange: { tier: 'plus', interval: 'month', seats: 1 },
    });
    expect((await preview({ tier: 'plus', effective: 'now' })).body).toMatchObject({
      outcome: 'applied_now',
      totalCents: -2_450 + 950,
      settlement: 'refund',
    });
    // Monthly -> yearly: a new anchor now, the year in full (12 x $49 less 40%), less the unused month.
    expect((await preview({ interval: 'year' })).body).toMatchObject({
      direction: 'interval_change',
      lines: [{ amountCents: -2_450 }, { amountCents: 35_280, kind: 'new_period' }],
      totalCents: 32_830,
    });
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('refuses what the change would refuse, with the same codes, writing nothing', async () => {
    const org = await readModelOnly('max', anchor);
    pinned = half;
    const before = await fingerprint(h.t.db);
    const preview = (json: unknown) => call('POST', '/v1/subscription/preview', { key: org.apiKey, json });

    const empty = await preview({ effective: 'now' });
    expectError(empty, 400, 'VALIDATION_FAILED');
    expect(empty.body.error.details.fields).toEqual([
      { path: 'body', message: 'must name at least one of tier, interval, seats' },
    ]);
    for (const body of [
      {},
      { tier: 'gold' },
      { seats: 0 },
      { seats: -1 },
      { seats: 1.5 },
      { seats: '2' },
      { seats: 10_001 },
      { interval: 'week' },
      { tier: 'team', effective: 'later' },
      { tier: 'team', coupon: 'FREE' },
      [],
      null,
    ]) {
      expectError(await preview(body), 400, 'VALIDATION_FAILED');
    }
    expectError(await preview({ tier: 'max' }), 409, 'PLAN_UNCHANGED');
    expectError(await preview({ tier: 'free', seats: 2 }), 403, 'PLAN_LIMIT_REACHED');
    // The period ended and the workflow has not recorded the renewal: retry, like any engine delay.
    pinned = new Date('2026-05-01T00:00:00Z');
    const late = await preview({ tier: 'team' });
    expectError(late, 503, 'ENGINE_UNAVAILABLE');
    expect(late.headers.get('retry-after')).toBe('2');
    expect(late.body.error.details).toMatchObject({ reason: 'renewal_pending' });
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('refuses a second scheduled change, and previews cancelling the first', async () => {
    const org = await readModelOnly('max', anchor);
    pinned = half;
    await saveSubscription(h.t.db, {
      ...initialSubscription(await billingInputFor(h.t.db, org.orgId)),
      scheduledChange: { tier: 'plus', interval: 'month', seats: 1 },
      changedAt: half,
    });
    const preview = (json: unknown) => call('POST', '/v1/subscription/preview', { key: org.apiKey, json });
    expectError(await preview({ tier: 'generative' }), 409, 'CHANGE_ALREADY_SCHEDULED');
    expect((await preview({ tier: 'max' })).body).toMatchObject({
      outcome: 'unscheduled',
      direction: null,
      totalCents: 0,
      scheduledChange: null,
    });
  });

  it('refuses a paused or canceled subscription', async () => {
    for (const [status, code] of [
      ['paused', 'SUBSCRIPTION_STATE_CONFLICT'],
      ['canceled', 'SUBSCRIPTION_CANCELED'],
    ] as const) {
      const org = await readModelOnly('max', anchor);
      await h.t.db
        .updateTable('organizations')
        .set({ billing_status: status })
        .where('id', '=', org.orgId)
        .execute();
      pinned = half;
      const res = await call('POST', '/v1/subscription/preview', { key: org.apiKey, json: { tier: 'team' } });
      expectError(res, 409, code);
    }
  });
});

describe('changing the subscription through the workflow', () => {
  it('upgrades once per Idempotency-Key, charging the proration, and refuses bad changes without writing', async () => {
    const org = await subscribed('max');
    const change = (json: unknown, key = randomUUID()) =>
      call('POST', '/v1/subscription/change', { key: org.apiKey, json, headers: idem(key) });

    const key = randomUUID();
    const first = await change({ tier: 'team' }, key);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      outcome: 'applied_now',
      subscription: { organizationId: org.orgId, tier: 'team', status: 'active', scheduledChange: null },
    });
    expect(first.body.lines.map((l: { amountCents: number }) => Math.sign(l.amountCents))).toEqual([-1, 1]);
    expect(first.body.totalCents).toBe(
      first.body.lines.reduce((s: number, l: { amountCents: number }) => s + l.amountCents, 0),
    );
    const upgrades = async () =>
      (await listCharges(h.t.db, org.orgId))
        .filter((c) => c.kind === 'upgrade')
        .map((c) => [c.amount_cents, c.status]);
    expect(await upgrades()).toEqual([[first.body.totalCents, 'succeeded']]);
    expect((await getCreditsSnapshot(h.t.db, org.orgId)).includedThisPeriod).toBe(6_000);
    expect((await call('GET', '/v1/subscription', { key: org.apiKey })).body).toEqual(
      first.body.subscription,
    );

    // The same key and body: the stored answer, no second charge.
    const again = await change({ tier: 'team' }, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await upgrades()).toHaveLength(1);

    const before = await fingerprint(h.t.db);
    expectError(await change({ tier: 'max' }, key), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectError(
      await call('POST', '/v1/subscription/change', { key: org.apiKey, json: { tier: 'max' } }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await change({ tier: 'team' }), 409, 'PLAN_UNCHANGED');
    expectError(await change({ tier: 'enterprise' }), 400, 'VALIDATION_FAILED');
    expectError(await change({ seats: 0 }), 400, 'VALIDATION_FAILED');
    expectError(await change({}), 400, 'VALIDATION_FAILED');
    expectError(await change({ tier: 'free', seats: 3 }), 403, 'PLAN_LIMIT_REACHED');
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('schedules a downgrade, cancels at period end, resumes, pauses with a refund, and resubscribes; generations follow the status', async () => {
    const org = await subscribed('pro');
    const post = (path: string, json?: unknown) =>
      call('POST', path, { key: org.apiKey, json, headers: idem() });
    const generate = (key = randomUUID()) =>
      call('POST', '/v1/generations', {
        key: org.apiKey,
        json: { projectId: org.projectId, format: 'auto' },
        headers: idem(key),
      });
    const paid = planPrice({ tier: 'pro', interval: 'month', seats: 1 }).totalCents;

    const scheduled = await post('/v1/subscription/change', { tier: 'plus' });
    expect(scheduled.body).toMatchObject({
      outcome: 'scheduled',
      totalCents: 0,
      subscription: {
        tier: 'pro',
        scheduledChange: { tier: 'plus', interval: 'month', seats: 1, intervalCents: 1_900 },
      },
    });
    expect(scheduled.body.subscription.scheduledChange.effectiveAt).toBe(
      scheduled.body.subscription.currentPeriod.end,
    );
    expectError(await post('/v1/subscription/change', { tier: 'max' }), 409, 'CHANGE_ALREADY_SCHEDULED');

    const canceled = await post('/v1/subscription/cancel');
    expect(canceled.body).toMatchObject({
      outcome: 'cancel_at_period_end',
      subscription: { status: 'active', cancelAtPeriodEnd: true, nextRenewalAt: null, scheduledChange: null },
    });
    expectError(await post('/v1/subscription/cancel'), 409, 'SUBSCRIPTION_STATE_CONFLICT');
    expectError(await post('/v1/subscription/change', { tier: 'team' }), 409, 'SUBSCRIPTION_STATE_CONFLICT');
    expectError(await post('/v1/subscription/pause'), 409, 'SUBSCRIPTION_STATE_CONFLICT');
    // Access runs until the period end.
    expect((await generate()).status).toBe(201);
    const undone = await post('/v1/subscription/resume', {});
    expect(undone.body).toMatchObject({
      outcome: 'cancel_undone',
      subscription: { cancelAtPeriodEnd: false },
    });
    expectError(await post('/v1/subscription/resume', {}), 409, 'SUBSCRIPTION_STATE_CONFLICT');
    expectError(await post('/v1/subscription/resume', { seats: 0 }), 400, 'VALIDATION_FAILED');

    const beforePause = randomUUID();
    expect((await generate(beforePause)).status).toBe(201);
    const paused = await post('/v1/subscription/pause');
    expect(paused.body).toMatchObject({
      outcome: 'paused',
      subscription: { status: 'paused', nextRenewalAt: null },
    });
    expect(paused.body.totalCents).toBeLessThan(0);
    expect(-paused.body.totalCents).toBeLessThanOrEqual(paid);
    const refunds = (await listCharges(h.t.db, org.orgId)).filter((c) => c.kind === 'refund');
    expect(refunds.reduce((s, c) => s + c.amount_cents, 0)).toBe(-paused.body.totalCents);

    // Paused: no new generation, before anything is reserved; a request answered before replays its answer.
    const before = await fingerprint(h.t.db);
    const inactive = await generate();
    expectError(inactive, 402, 'SUBSCRIPTION_INACTIVE');
    expect(inactive.body.error.details).toEqual({ status: 'paused' });
    expect(await fingerprint(h.t.db)).toEqual(before);
    const replay = await generate(beforePause);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expectError(await post('/v1/subscription/pause'), 409, 'SUBSCRIPTION_STATE_CONFLICT');
    expectError(await post('/v1/subscription/change', { tier: 'team' }), 409, 'SUBSCRIPTION_STATE_CONFLICT');

    // A paused org cancelled ends now; then only subscribing again (resume) applies.
    const ended = await post('/v1/subscription/cancel');
    expect(ended.body).toMatchObject({ outcome: 'canceled', subscription: { status: 'canceled' } });
    const gone = await generate();
    expectError(gone, 402, 'SUBSCRIPTION_INACTIVE');
    expect(gone.body.error.details).toEqual({ status: 'canceled' });
    expectError(await post('/v1/subscription/change', { tier: 'team' }), 409, 'SUBSCRIPTION_CANCELED');
    expectError(await post('/v1/subscription/cancel'), 409, 'SUBSCRIPTION_CANCELED');

    // Subscribing again on the last plan: a new anchor now, charged in full.
    const again = await post('/v1/subscription/resume', {});
    expect(again.body).toMatchObject({
      outcome: 'resubscribed',
      totalCents: paid,
      subscription: { status: 'active', tier: 'pro' },
    });
    expect((await generate()).status).toBe(201);
    expect((await getCreditsSnapshot(h.t.db, org.orgId)).billingStatus).toBe('active');
  });

  it('answers 404 for an org whose workflow never started, and 503 while no worker serves it; the retry applies once', async () => {
    const org = await makeOrg(h.t.db, { tier: 'plus' });
    const key = (await createApiKey(h.t.db, org.orgId)).apiKey;
    const before = await fingerprint(h.t.db);
    const missing = await call('POST', '/v1/subscription/cancel', { key, headers: idem() });
    expectError(missing, 404, 'NOT_FOUND');
    expect(await fingerprint(h.t.db)).toEqual(before);

    // A billing client on a queue no worker polls yet: the engine is down as far as this API knows.
    const downQueue = freshTaskQueue();
    const down = createBillingClient({ client, taskQueue: downQueue, engineTimeoutMs: 1_500 });
    const outage = buildApi({
      db: h.t.db,
      generations: createGenerationClient(client, { taskQueue: downQueue, holdTimeoutMs: 3_600_000 }),
      billing: down,
      config: NO_RATE_LIMITS,
    });
    await outage.listen({ port: 0, host: '127.0.0.1' });
    const outageUrl = `http://127.0.0.1:${(outage.server.address() as AddressInfo).port}`;
    try {
      const payer = await orgWithCard(h, { tier: 'max', anchor: new Date(await h.env.currentTimeMs()) });
      const payerKey = (await createApiKey(h.t.db, payer.orgId)).apiKey;
      await startOrgBilling(h.t.db, down, payer.orgId);
      const request = { key: payerKey, json: { tier: 'team' }, headers: idem() };
      const unavailable = await callApi(outageUrl, 'POST', '/v1/subscription/change', request);
      expectError(unavailable, 503, 'ENGINE_UNAVAILABLE');
      expect(unavailable.headers.get('retry-after')).toBe('2');
      expect(await listCharges(h.t.db, payer.orgId)).toEqual([]);
      // Reading needs no engine.
      expect((await callApi(outageUrl, 'GET', '/v1/subscription', { key: payerKey })).body.tier).toBe('max');

      const late = await Worker.create({
        connection: h.env.nativeConnection,
        namespace: 'default',
        taskQueue: downQueue,
        workflowBundle: await workflowBundle(),
        activities: createActivities({ db: h.t.db, stripe: h.stripe }),
      });
      await late.runUntil(async () => {
        const retried = await callApi(outageUrl, 'POST', '/v1/subscription/change', request);
        expect(retried.status).toBe(200);
        expect(retried.body).toMatchObject({ outcome: 'applied_now', subscription: { tier: 'team' } });
        const charges = await listCharges(h.t.db, payer.orgId);
        expect(charges.map((c) => [c.kind, c.amount_cents])).toEqual([['upgrade', retried.body.totalCents]]);
        await client.workflow.getHandle(billingWorkflowId(payer.orgId)).terminate();
      });
    } finally {
      await outage.close();
    }
  });
});

describe('PUT /v1/credits/alerts', () => {
  it('sets, keeps, re-arms and removes the threshold; bad input writes nothing', async () => {
    const org = await makeOrg(h.t.db, { tier: 'pro' });
    const key = (await createApiKey(h.t.db, org.orgId)).apiKey;
    const put = (json: unknown) => call('PUT', '/v1/credits/alerts', { key, json });
    const row = () =>
      h.t.db.selectFrom('credit_alerts').selectAll().where('org_id', '=', org.orgId).executeTakeFirst();

    expect(await put({ thresholdCredits: 50 })).toMatchObject({
      status: 200,
      body: { organizationId: org.orgId, thresholdCredits: 50 },
    });
    expect(await row()).toMatchObject({ threshold_credits: 50, fired_for_period: null });
    const period = new Date('2026-01-01T00:00:00Z');
    await h.t.db
      .updateTable('credit_alerts')
      .set({ fired_for_period: period })
      .where('org_id', '=', org.orgId)
      .execute();
    // The same threshold again is not a new alert: what fired this period stays fired.
    expect((await put({ thresholdCredits: 50 })).status).toBe(200);
    expect(await row()).toMatchObject({ threshold_credits: 50, fired_for_period: period });
    // A new threshold is: it may fire in this period.
    expect((await put({ thresholdCredits: 80 })).body.thresholdCredits).toBe(80);
    expect(await row()).toMatchObject({ threshold_credits: 80, fired_for_period: null });

    const before = await fingerprint(h.t.db);
    for (const body of [
      { thresholdCredits: 0 },
      { thresholdCredits: -5 },
      { thresholdCredits: 1.5 },
      { thresholdCredits: '50' },
      { thresholdCredits: 1_000_000_001 },
      {},
      { thresholdCredits: 50, email: 'a@b.c' },
    ]) {
      expectError(await put(body), 400, 'VALIDATION_FAILED');
    }
    expectError(
      await call('PUT', '/v1/credits/alerts', {
        key,
        raw: '{"thresholdCredits":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );
    expect(await fingerprint(h.t.db)).toEqual(before);

    expect(await put({ thresholdCredits: null })).toMatchObject({
      status: 200,
      body: { organizationId: org.orgId, thresholdCredits: null },
    });
    expect(await row()).toBeUndefined();
  });
});

describe('GET /v1/credits/alerts', () => {
  it('answers what PUT last stored, in its shape: null before, the threshold after, null once off', async () => {
    const org = await makeOrg(h.t.db, { tier: 'pro' });
    const key = (await createApiKey(h.t.db, org.orgId, { scopes: ['dashboard'] })).apiKey;
    const get = () => call('GET', '/v1/credits/alerts', { key });
    const off = { organizationId: org.orgId, thresholdCredits: null };
    expect(await get()).toMatchObject({ status: 200, body: off });

    const put = await call('PUT', '/v1/credits/alerts', { key, json: { thresholdCredits: 1_250 } });
    expect(put.status).toBe(200);
    const read = await get();
    expect(read.status).toBe(200);
    expect(read.body).toEqual(put.body);
    expect(read.body.thresholdCredits).toBe(1_250);
    // A dashboard session reads the same setting as the key that opened it.
    const session = await signIn(api.baseUrl, key);
    expect((await callAsSession(api.baseUrl, session, 'GET', '/v1/credits/alerts')).body).toEqual(put.body);

    expect((await call('PUT', '/v1/credits/alerts', { key, json: { thresholdCredits: null } })).status).toBe(
      200,
    );
    expect(await get()).toMatchObject({ status: 200, body: off });
  });

  it('shows another org only its own, refuses parameters and a missing key, and writes nothing', async () => {
    const a = await makeOrg(h.t.db, { tier: 'pro' });
    const b = await makeOrg(h.t.db, { tier: 'plus' });
    const aKey = (await createApiKey(h.t.db, a.orgId)).apiKey;
    const bKey = (await createApiKey(h.t.db, b.orgId)).apiKey;
    await call('PUT', '/v1/credits/alerts', { key: aKey, json: { thresholdCredits: 40 } });
    const before = await fingerprint(h.t.db);
    const other = await call('GET', '/v1/credits/alerts', { key: bKey });
    expect(other).toMatchObject({ status: 200, body: { organizationId: b.orgId, thresholdCredits: null } });
    expectError(
      await call('GET', '/v1/credits/alerts?thresholdCredits=40', { key: aKey }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await call('GET', `/v1/credits/alerts?organizationId=${a.orgId}`, { key: bKey }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await call('GET', '/v1/credits/alerts'), 401, 'UNAUTHENTICATED');
    expect(await fingerprint(h.t.db)).toEqual(before);
    expect((await call('GET', '/v1/credits/alerts', { key: aKey })).body.thresholdCredits).toBe(40);
  });
});

describe('plan limits', () => {
  it('refuses one project more than the tier allows with 403 PLAN_LIMIT_REACHED, writing nothing', async () => {
    const org = await makeOrg(h.t.db, { tier: 'plus' });
    await createProject(h.t.db, org.orgId, 'Second');
    await createProject(h.t.db, org.orgId, 'Third');
    const before = await fingerprint(h.t.db);
    const err = await createProject(h.t.db, org.orgId, 'Fourth').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({
      code: 'PLAN_LIMIT_REACHED',
      httpStatus: 403,
      details: { limit: 'projects', tier: 'plus', max: 3, current: 3 },
    });
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('lets concurrent creations take turns: never one project more than the limit', async () => {
    const org = await makeOrg(h.t.db, { tier: 'max' });
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => createProject(h.t.db, org.orgId, `P${i}`)),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(refused.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(
      Array(7).fill('PLAN_LIMIT_REACHED'),
    );
    const { n } = await h.t.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', org.orgId)
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(10);
  });
});
