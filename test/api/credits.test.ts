import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/api/openapi';
import { registeredRoutes } from '../../src/api/server';
import { ID_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH, TEXT_PATTERN } from '../../src/credits/amounts';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { ERROR_STATUS } from '../../src/errors';
import { startApiHarness, type ApiHarness } from '../support/api';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  await h.close();
});

/** The reference (seeds/004_*) field for field, in its order, then the two documented extensions. */
const CREDIT_FIELDS = [
  'organizationId',
  'balance',
  'available',
  'includedRemaining',
  'prepaidBalance',
  'reservedCredits',
  'includedThisPeriod',
  'usedThisPeriod',
  'currentPeriod',
  'subscriptionTier',
  'billingStatus',
  'estimatedCreditsPerFormat',
  'ingestCostsBilled',
  // The documented extensions, after every field of the reference and changing none of them.
  'rolledOverCredits',
  'rolloverExpiresAt',
];

describe('GET /v1/credits', () => {
  it('has exactly the reference shape, field by field', async () => {
    const anchor = new Date('2026-04-01T00:00:00.000Z');
    const org = await h.newOrg({ tier: 'pro', prepaid: 5400 });
    // The org was anchored now; move its period to the reference's April so the dates are exact.
    await h.t.db
      .updateTable('credit_balances')
      .set({ period_start: anchor, period_end: new Date('2026-05-01T00:00:00.000Z') })
      .where('org_id', '=', org.orgId)
      .execute();
    const res = await h.call('GET', '/v1/credits', { key: org.apiKey });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(CREDIT_FIELDS);
    expect(res.body).toStrictEqual({
      organizationId: org.orgId,
      balance: 6400,
      available: 6400,
      includedRemaining: 1000,
      prepaidBalance: 5400,
      reservedCredits: 0,
      includedThisPeriod: 1000,
      usedThisPeriod: 0,
      currentPeriod: { start: '2026-04-01T00:00:00.000Z', end: '2026-05-01T00:00:00.000Z', usedCredits: 0 },
      subscriptionTier: 'pro',
      billingStatus: 'active',
      estimatedCreditsPerFormat: {
        slideshow_builder: 50,
        slideshow_remix: 50,
        video_remix: 120,
        ugc_remix: 120,
        auto: 120,
      },
      ingestCostsBilled: { github: false, website: false, appstore: false },
      rolledOverCredits: 0,
      rolloverExpiresAt: null,
    });
    for (const n of ['balance', 'available', 'includedRemaining', 'prepaidBalance', 'reservedCredits']) {
      expect(Number.isInteger(res.body[n]), n).toBe(true);
    }
  });

  it('answers exactly what the ledger functions return as the snapshot, to the millisecond', async () => {
    const org = await h.newOrg({ tier: 'team', prepaid: 77 });
    // Microseconds, as now() stores them: both paths must cut them the same way.
    await h.t.db
      .updateTable('credit_balances')
      .set({
        period_start: sql<Date>`'2026-04-01 10:20:30.123999+00'::timestamptz`,
        period_end: sql<Date>`'2026-05-01 10:20:30.999999+00'::timestamptz`,
      })
      .where('org_id', '=', org.orgId)
      .execute();
    const res = await h.call('GET', '/v1/credits', { key: org.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(await getCreditsSnapshot(h.t.db, org.orgId));
    expect(res.body.currentPeriod).toMatchObject({
      start: '2026-04-01T10:20:30.123Z',
      end: '2026-05-01T10:20:30.999Z',
    });
  });

  it('reconciles while generations are in flight: balance - reservedCredits = available', async () => {
    const org = await h.newOrg({ tier: 'pro', prepaid: 100 });
    const started: string[] = [];
    for (const format of ['video_remix', 'slideshow_builder', 'auto']) {
      const res = await h.call('POST', '/v1/generations', {
        key: org.apiKey,
        json: { projectId: org.projectId, format },
        headers: { 'idempotency-key': randomUUID() },
      });
      expect(res.status).toBe(201);
      started.push(res.body.generationId);
      const credits = (await h.call('GET', '/v1/credits', { key: org.apiKey })).body;
      expect(credits.balance).toBe(credits.includedRemaining + credits.prepaidBalance);
      expect(credits.balance - credits.reservedCredits).toBe(credits.available);
      expect(res.body.credits).toEqual(credits);
    }
    let credits = (await h.call('GET', '/v1/credits', { key: org.apiKey })).body;
    expect(credits).toMatchObject({ balance: 1100, reservedCredits: 290, available: 810 });

    const done = await h.call('POST', `/v1/generations/${started[0]}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 100 },
    });
    expect(done.status).toBe(200);
    credits = (await h.call('GET', '/v1/credits', { key: org.apiKey })).body;
    expect(credits).toMatchObject({
      balance: 1000,
      reservedCredits: 170,
      available: 830,
      usedThisPeriod: 100,
    });
    expect(credits.currentPeriod.usedCredits).toBe(100);

    await h.call('POST', `/v1/generations/${started[1]}/fail`, {
      key: org.apiKey,
      json: { reason: 'provider error' },
    });
    await h.call('POST', `/v1/generations/${started[2]}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 0 },
    });
    credits = (await h.call('GET', '/v1/credits', { key: org.apiKey })).body;
    expect(credits).toMatchObject({ balance: 1000, reservedCredits: 0, available: 1000 });
  });

  it('floors available at 0 and refuses a generation it cannot cover with 402', async () => {
    const org = await h.newOrg({ prepaid: 60 });
    const res = await h.call('POST', '/v1/generations', {
      key: org.apiKey,
      json: { projectId: org.projectId, format: 'auto' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({
      code: 'BILLING_EXHAUSTED',
      details: { required: 120, available: 60 },
    });
    expect(res.body.error.details.credits).toMatchObject({ balance: 60, available: 60, reservedCredits: 0 });
  });
});

describe('GET /v1/whoami', () => {
  it('names the org and key, and creditBalance equals /v1/credits balance', async () => {
    const org = await h.newOrg({ tier: 'plus', prepaid: 25 });
    const who = await h.call('GET', '/v1/whoami', { key: org.apiKey });
    const credits = await h.call('GET', '/v1/credits', { key: org.apiKey });
    expect(who.status).toBe(200);
    const name = (
      await h.t.db
        .selectFrom('organizations')
        .select('name')
        .where('id', '=', org.orgId)
        .executeTakeFirstOrThrow()
    ).name;
    expect(who.body).toStrictEqual({
      organization: { id: org.orgId, name },
      key: { prefix: org.prefix },
      tier: 'plus',
      creditBalance: credits.body.balance,
    });
    expect(who.body.creditBalance).toBe(125);
    expect(JSON.stringify(who.body)).not.toContain(org.apiKey);
  });
});

describe('system routes', () => {
  it('/healthz and /readyz answer without a key', async () => {
    expect(await h.call('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await h.call('GET', '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } },
    });
  });

  it('/readyz is 503 NOT_READY when PostgreSQL is unreachable', async () => {
    const { createDb } = await import('../../src/db/pool');
    const { buildApi } = await import('../../src/api/server');
    const deadDb = createDb('postgres://nobody@127.0.0.1:1/none', { max: 1 });
    const app = buildApi({ db: deadDb, generations: h.generations });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({
        code: 'NOT_READY',
        details: { checks: { temporal: 'not_configured' } },
      });
    } finally {
      await app.close();
      await deadDb.destroy();
    }
  });

  it('unknown routes get the one error shape', async () => {
    const res = await h.call('GET', '/v1/nothing-here');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });
});

describe('GET /v1/openapi.json', () => {
  it('documents every registered route with the schemas it validates with', async () => {
    const res = await h.call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const routes = registeredRoutes(h.app);
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const { method, url } of routes) {
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op, `${method} ${url}`).toBeDefined();
      for (const [status, response] of Object.entries(
        op.responses as Record<string, { description: string }>,
      )) {
        if (Number(status) >= 400) {
          for (const code of response.description.replace('error.code: ', '').split(' | ')) {
            expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS], `${method} ${url} ${code}`).toBe(
              Number(status),
            );
          }
        }
      }
    }
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());

    const create = doc.paths['/v1/generations'].post;
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      additionalProperties: false,
      required: ['projectId', 'format'],
    });
    expect(create.parameters).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header', required: true }),
    );
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '402', '404', '409', '413', '429', '503']),
    );
    const complete = doc.paths['/v1/generations/{id}/complete'].post;
    expect(complete.requestBody.content['application/json'].schema.properties.actualCredits).toMatchObject({
      type: 'integer',
      minimum: 0,
    });
    expect(doc.paths['/v1/credits'].get.responses['200'].content['application/json'].schema.required).toEqual(
      CREDIT_FIELDS,
    );
  });

  it('documents the answers every request can get, and the limits the code enforces', async () => {
    const doc = (await h.call('GET', '/v1/openapi.json')).body;
    type Operation = {
      operationId: string;
      security: unknown[];
      responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
    };
    const operations = Object.values(doc.paths as Record<string, Record<string, Operation>>).flatMap((ops) =>
      Object.values(ops),
    );
    for (const op of operations) {
      expect(Object.keys(op.responses), op.operationId).toEqual(
        expect.arrayContaining(['400', '408', '431', '500', '503']),
      );
      for (const status of ['429', '503'].filter((s) => op.responses[s])) {
        expect(op.responses[status]!.headers?.['Retry-After'], `${op.operationId} ${status}`).toBeDefined();
      }
      if (op.security.length > 0) {
        expect(op.responses['503']!.description).toContain('DATABASE_UNAVAILABLE');
        expect(op.responses['503']!.description).toContain('KILL_SWITCH');
      }
    }
    const complete = doc.paths['/v1/generations/{id}/complete'].post;
    const model = complete.requestBody.content['application/json'].schema.properties.model;
    expect(model).toMatchObject({ minLength: 1, maxLength: ID_MAX_LENGTH, pattern: TEXT_PATTERN });
    const id = complete.parameters.find((p: { in: string }) => p.in === 'path').schema;
    expect(id).toMatchObject({ maxLength: ID_MAX_LENGTH, pattern: TEXT_PATTERN });
    const key = doc.paths['/v1/generations'].post.parameters.find(
      (p: { name: string }) => p.name === 'idempotency-key',
    );
    expect(key.schema.maxLength).toBe(IDEMPOTENCY_KEY_MAX_LENGTH);
  });
});
