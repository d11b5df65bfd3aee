import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server';
import { findDrift } from '../../src/credits/reconcile';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../src/db/outage';
import { createDb, type Db } from '../../src/db/pool';
import { callApi, startApiHarness, type ApiHarness, type ApiResponse, type TestOrg } from '../support/api';
import { contractBreaches, countByStatus, runGenerationLoad } from '../support/outage-load';
import { freePort } from '../support/ports';
import { withAdmin } from '../support/postgres';

/**
 * A database outage is a retryable 503 DATABASE_UNAVAILABLE with Retry-After, never a 500 and never a
 * dead process; a request it interrupted leaves nothing stranded. The outages here are real: a
 * PostgreSQL port nobody listens on, and this file's own sessions ended by the server
 * (pg_terminate_backend, the 57P01 of a restart). test/resilience/ restarts a whole server.
 */
const WEBHOOK_SECRET = 'whsec_outage_test';
let h: ApiHarness;
let org: TestOrg;
let down: { db: Db; app: FastifyInstance; baseUrl: string };
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  h = await startApiHarness();
  org = await h.newOrg({ tier: 'pro', prepaid: 100_000 });
  // The same API over a PostgreSQL that is down: nothing listens on its port.
  const db = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/down`, { max: 2 });
  const app = buildApi({
    db,
    generations: h.generations,
    temporalClient: h.client,
    payments: { temporalClient: h.client, taskQueue: h.taskQueue, webhookSecret: WEBHOOK_SECRET },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  down = { db, app, baseUrl: `http://127.0.0.1:${port}` };
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await down?.app.close();
  await down?.db.destroy();
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  await h.close();
});

function expectUnavailable(res: ApiResponse) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({
    status: 503,
    code: 'DATABASE_UNAVAILABLE',
  });
  expect(res.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
}

describe('while PostgreSQL is down', () => {
  it('answers every database-backed route 503 DATABASE_UNAVAILABLE with Retry-After', async () => {
    const call = (method: string, path: string, opts = {}) => callApi(down.baseUrl, method, path, opts);
    expectUnavailable(await call('GET', '/v1/credits', { key: org.apiKey }));
    expectUnavailable(await call('GET', '/v1/whoami', { key: org.apiKey }));
    expectUnavailable(
      await call('POST', '/v1/generations', {
        key: org.apiKey,
        json: { projectId: org.projectId, format: 'auto' },
        headers: { 'idempotency-key': randomUUID() },
      }),
    );
    expectUnavailable(
      await call('POST', '/v1/generations/gen_x/complete', { key: org.apiKey, json: { actualCredits: 1 } }),
    );
  });

  it("answers the dashboard's sign-in, a session's requests and a sign-in link 503 as well", async () => {
    const call = (method: string, path: string, opts = {}) => callApi(down.baseUrl, method, path, opts);
    expectUnavailable(await call('POST', '/v1/dashboard/session', { json: { apiKey: org.apiKey } }));
    // A well-formed session token: only the database can tell whether it is live.
    const cookie = `lb_session=${'A'.repeat(43)}`;
    expectUnavailable(await call('GET', '/v1/credits/usage', { headers: { cookie } }));
    expectUnavailable(await call('GET', '/v1/projects', { headers: { cookie } }));
    expectUnavailable(await call('GET', `/dashboard/sign-in?token=${'A'.repeat(43)}`));
  });

  it('answers a signed Stripe webhook 503, so Stripe redelivers it', async () => {
    const payload = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'pi_outage', object: 'payment_intent', metadata: {} } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    expectUnavailable(
      await callApi(down.baseUrl, 'POST', '/v1/webhooks/stripe', {
        raw: payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      }),
    );
  });

  it('is not ready, yet alive', async () => {
    const ready = await callApi(down.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error).toMatchObject({ code: 'NOT_READY', details: { checks: { temporal: 'ok' } } });
    expect(ready.body.error.details.checks.postgres).toMatch(/^postgres unreachable/);
    expect((await callApi(down.baseUrl, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('when PostgreSQL ends every session under load', () => {
  it('answers only 2xx or 503, recovers by itself and finishes every generation', async () => {
    const dbName = new URL(h.t.url).pathname.slice(1);
    const terminateAll = () =>
      withAdmin((c) =>
        c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]),
      );
    const load = runGenerationLoad(h.baseUrl, org, { concurrency: 6, until: Date.now() + 4000 });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 900));
      await terminateAll();
    }
    const result = await load;

    expect(uncaught).toEqual([]);
    expect(contractBreaches(result.answers, ['DATABASE_UNAVAILABLE'])).toEqual([]);
    expect(result.gaveUp).toEqual([]);
    expect(result.created.length).toBeGreaterThan(5);
    expect(result.completed.sort()).toEqual(result.created.sort());
    const stranded = await h.t.db
      .selectFrom('idempotency_keys')
      .select(['key', 'status'])
      .where('status', '=', 'pending')
      .execute();
    expect(stranded).toEqual([]);
    const held = await h.t.db
      .selectFrom('reservations')
      .select('generation_id')
      .where('status', '=', 'held')
      .execute();
    expect(held).toEqual([]);
    console.log('answers by status while sessions were ended:', countByStatus(result.answers));
  });
});
