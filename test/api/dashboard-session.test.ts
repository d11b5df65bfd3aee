import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, disableApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { createOrganization } from '../../src/orgs/orgs';
import { callApi, type ApiResponse } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { callAsSession, cookieFrom, signIn, type DashboardSession } from '../support/dashboard';
import { startDbApi, type DbApi } from '../support/db-api';
import { NO_RATE_LIMITS } from '../support/fixtures';
import { closeAndIssue, FEB_1, JAN_1, MAR_1 } from './invoice-support';

/**
 * The dashboard's sign-in over real HTTP and PostgreSQL: a key with the dashboard scope is exchanged for
 * an HttpOnly, SameSite=Strict session cookie; every /v1 route accepts the cookie as that key; a session's
 * changes need its CSRF token and write nothing without it; signing out and expiry end it; one org's
 * session sees nothing of another's; a bearer key is judged alone, whatever cookie comes with it.
 */
let t: TestDatabase;
let api: DbApi;

interface Org {
  orgId: string;
  /** With the dashboard scope. */
  dashboardKey: string;
  /** A plain partner key of the same org. */
  partnerKey: string;
}
let a: Org;
let b: Org & { invoiceNumber: string };

const sha256 = (text: string) => createHash('sha256').update(text).digest();

async function newOrg(name: string): Promise<Org> {
  const org = await createOrganization(t.db, { name, tier: 'plus', anchor: JAN_1 });
  const [dashboard, partner] = await Promise.all([
    createApiKey(t.db, org.orgId, { scopes: ['dashboard'] }),
    createApiKey(t.db, org.orgId),
  ]);
  return { orgId: org.orgId, dashboardKey: dashboard.apiKey, partnerKey: partner.apiKey };
}

const sessionRows = () => t.db.selectFrom('dashboard_sessions').selectAll().execute();
const alertOf = (orgId: string) =>
  t.db.selectFrom('credit_alerts').selectAll().where('org_id', '=', orgId).executeTakeFirst();
const auditCount = async (orgId: string) =>
  Number(
    (
      await t.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  api = await startDbApi(t.db);
  a = await newOrg('Alpha Co');
  const orgB = await newOrg('Beta Co');
  const issued = await closeAndIssue(t.db, orgB.orgId, JAN_1, FEB_1, MAR_1);
  b = { ...orgB, invoiceNumber: issued.number };
}, 60_000);

afterAll(async () => {
  if (t) expect(await findDrift(t.db)).toEqual([]);
  await api?.close();
  await t?.close();
});

describe('POST /v1/dashboard/session', () => {
  it('exchanges a dashboard key for an HttpOnly, SameSite=Strict cookie; only hashes are stored', async () => {
    const before = Date.now();
    const res = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: a.dashboardKey },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      orgId: a.orgId,
      orgName: 'Alpha Co',
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    const expiresAt = Date.parse(res.body.expiresAt);
    // 12 hours by default, by the database's clock (which may differ from ours by a little).
    expect(expiresAt - before).toBeGreaterThan(12 * 3_600_000 - 60_000);
    expect(expiresAt - before).toBeLessThan(12 * 3_600_000 + 60_000);

    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('lb_session='))!;
    const attributes = setCookie.split('; ').slice(1);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    expect(attributes.some((x) => x.startsWith('Expires='))).toBe(true);
    expect(attributes).not.toContain('Secure'); // plain http here
    const token = cookieFrom(res)!.slice('lb_session='.length);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const row = await t.db
      .selectFrom('dashboard_sessions')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: a.orgId, api_key_prefix: a.dashboardKey.slice(0, 24) });
    expect(row.csrf_token_hash).toEqual(sha256(res.body.csrfToken));
    expect(row.expires_at.toISOString()).toBe(res.body.expiresAt);
    const { rows } = await sql<{
      dump: string;
    }>`SELECT row_to_json(s)::text AS dump FROM dashboard_sessions s`.execute(t.db);
    for (const { dump } of rows) {
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(res.body.csrfToken);
    }
  });

  it('sets a Secure cookie when the request came over https (through a trusted proxy)', async () => {
    const proxied = await startDbApi(t.db, { config: { ...NO_RATE_LIMITS, trustProxy: true } });
    try {
      const res = await callApi(proxied.baseUrl, 'POST', '/v1/dashboard/session', {
        json: { apiKey: a.dashboardKey },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(res.status).toBe(201);
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('lb_session='))!;
      expect(setCookie.split('; ')).toContain('Secure');
    } finally {
      await proxied.close();
    }
  });

  it('refuses a wrong key (401), a key without the dashboard scope (403) and a bad body (400), opening nothing', async () => {
    const before = (await sessionRows()).length;
    const wrong = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: `${a.dashboardKey.slice(0, -4)}AAAA` },
    });
    expectError(wrong, 401, 'UNAUTHENTICATED');
    const garbage = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: 'not a key' },
    });
    expectError(garbage, 401, 'UNAUTHENTICATED');
    const unscoped = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: a.partnerKey },
    });
    expectError(unscoped, 403, 'SCOPE_REQUIRED');
    expect(unscoped.body.error.details).toEqual({ scope: 'dashboard' });
    for (const json of [{}, { apiKey: '' }, { apiKey: a.dashboardKey, extra: 1 }, { apiKey: 42 }]) {
      expectError(
        await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', { json }),
        400,
        'VALIDATION_FAILED',
      );
    }
    for (const res of [wrong, garbage, unscoped]) expect(cookieFrom(res)).toBeUndefined();
    expect((await sessionRows()).length).toBe(before);
  });

  it('spends the per-client budget of failed authentications, like a wrong bearer key', async () => {
    const strict = await startDbApi(t.db, {
      config: { ...NO_RATE_LIMITS, authFailureBurst: 2, authFailuresPerSecond: 1e-6 },
    });
    try {
      const attempt = () =>
        callApi(strict.baseUrl, 'POST', '/v1/dashboard/session', { json: { apiKey: 'lb_live_guess' } });
      expectError(await attempt(), 401, 'UNAUTHENTICATED');
      expectError(await attempt(), 401, 'UNAUTHENTICATED');
      const limited = await attempt();
      expectError(limited, 429, 'RATE_LIMITED');
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await strict.close();
    }
  });

  it('ends the session already in the cookie when signing in again', async () => {
    const first = await signIn(api.baseUrl, a.dashboardKey);
    const again = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: a.dashboardKey },
      headers: { cookie: first.cookie },
    });
    expect(again.status).toBe(201);
    expectError(await callAsSession(api.baseUrl, first, 'GET', '/v1/credits'), 401, 'UNAUTHENTICATED');
    const second = { cookie: cookieFrom(again)!, csrfToken: again.body.csrfToken };
    expect((await callAsSession(api.baseUrl, second, 'GET', '/v1/credits')).status).toBe(200);
  });
});

describe('the session cookie on the /v1 routes', () => {
  let session: DashboardSession;
  beforeAll(async () => {
    session = await signIn(api.baseUrl, a.dashboardKey);
  });

  it('reads what the key reads: /v1/credits and /v1/whoami as the key that opened the session', async () => {
    const byCookie = await callAsSession(api.baseUrl, session, 'GET', '/v1/credits');
    const byKey = await callApi(api.baseUrl, 'GET', '/v1/credits', { key: a.partnerKey });
    expect(byCookie.status).toBe(200);
    expect(byCookie.body).toEqual(byKey.body);
    expect(byCookie.body.organizationId).toBe(a.orgId);
    const who = await callAsSession(api.baseUrl, session, 'GET', '/v1/whoami');
    expect(who.body).toMatchObject({
      organization: { id: a.orgId, name: 'Alpha Co' },
      key: { prefix: a.dashboardKey.slice(0, 24) },
    });
  });

  it('GET /v1/dashboard/session answers the org, the same CSRF token and the expiry', async () => {
    const res = await callAsSession(api.baseUrl, session, 'GET', '/v1/dashboard/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      orgId: a.orgId,
      orgName: 'Alpha Co',
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    });
    // Without the cookie (a bearer key does not make a session) there is none.
    expectError(await callApi(api.baseUrl, 'GET', '/v1/dashboard/session'), 401, 'UNAUTHENTICATED');
    expectError(
      await callApi(api.baseUrl, 'GET', '/v1/dashboard/session', { key: a.dashboardKey }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('refuses a change without the CSRF token, or with a wrong one, writing nothing; accepts it with the token', async () => {
    const auditsBefore = await auditCount(a.orgId);
    const alertBefore = await alertOf(a.orgId);
    const body = { json: { thresholdCredits: 25 } };
    const without = await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', {
      ...body,
      csrf: false,
    });
    expectError(without, 403, 'CSRF_TOKEN_INVALID');
    const wrong = await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', {
      ...body,
      csrf: session.csrfToken.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    });
    expectError(wrong, 403, 'CSRF_TOKEN_INVALID');
    // Another session's token (of the same org) is not this session's.
    const other = await signIn(api.baseUrl, a.dashboardKey);
    const crossed = await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', {
      ...body,
      csrf: other.csrfToken,
    });
    expectError(crossed, 403, 'CSRF_TOKEN_INVALID');
    // Refused before the body is read: even a malformed body gets the CSRF refusal, not a 400.
    const malformed = await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', {
      raw: '{',
      headers: { 'content-type': 'application/json' },
      csrf: false,
    });
    expectError(malformed, 403, 'CSRF_TOKEN_INVALID');
    expect(await alertOf(a.orgId)).toEqual(alertBefore);
    expect(await auditCount(a.orgId)).toBe(auditsBefore);

    const ok = await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', body);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ thresholdCredits: 25 });
    expect(await alertOf(a.orgId)).toMatchObject({ threshold_credits: 25 });
    // Audited as the key that opened the session.
    const event = await t.db
      .selectFrom('audit_events')
      .select(['actor_type', 'actor_id', 'action'])
      .where('org_id', '=', a.orgId)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(event).toEqual({
      actor_type: 'api_key',
      actor_id: a.dashboardKey.slice(0, 24),
      action: 'credits.alert_updated',
    });
  });

  it("never shows org B's data to org A's session: B's invoice is 404, as one never issued", async () => {
    const mine = await callAsSession(api.baseUrl, session, 'GET', `/v1/invoices/${b.invoiceNumber}`);
    expectError(mine, 404, 'INVOICE_NOT_FOUND');
    const list = await callAsSession(api.baseUrl, session, 'GET', '/v1/invoices');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(b.invoiceNumber);
    const theirs = await callApi(api.baseUrl, 'GET', `/v1/invoices/${b.invoiceNumber}`, {
      key: b.partnerKey,
    });
    expect(theirs.status).toBe(200);
    expect(theirs.body.invoice.number).toBe(b.invoiceNumber);
  });

  it('judges a request with a bearer key by the key alone, whatever cookie it carries', async () => {
    const asB = await callApi(api.baseUrl, 'GET', '/v1/whoami', {
      key: b.partnerKey,
      headers: { cookie: session.cookie },
    });
    expect(asB.body.organization.id).toBe(b.orgId);
    const badKey = await callApi(api.baseUrl, 'GET', '/v1/whoami', {
      key: 'lb_live_0000000000000000_nope',
      headers: { cookie: session.cookie },
    });
    expectError(badKey, 401, 'UNAUTHENTICATED');
    const notBearer = await callApi(api.baseUrl, 'GET', '/v1/whoami', {
      headers: { cookie: session.cookie, authorization: 'Basic Zm9vOmJhcg==' },
    });
    expectError(notBearer, 401, 'UNAUTHENTICATED');
    // A bearer change never needs a CSRF token (there is no ambient credential to forge).
    const change = await callApi(api.baseUrl, 'PUT', '/v1/credits/alerts', {
      key: b.partnerKey,
      json: { thresholdCredits: 7 },
      headers: { cookie: session.cookie },
    });
    expect(change.status).toBe(200);
    expect(await alertOf(b.orgId)).toMatchObject({ threshold_credits: 7 });
  });

  it('refuses an unknown or malformed cookie with 401 and clears it', async () => {
    for (const cookie of [
      'lb_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'lb_session=x',
      'lb_session=',
    ]) {
      const res = await callApi(api.baseUrl, 'GET', '/v1/credits', { headers: { cookie } });
      expectError(res, 401, 'UNAUTHENTICATED');
    }
    const res = await callApi(api.baseUrl, 'GET', '/v1/credits', {
      headers: { cookie: 'lb_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith('lb_session='));
    expect(cleared).toMatch(/^lb_session=;.*Expires=Thu, 01 Jan 1970/);
    // No cookie and no key: the message names both ways in.
    const none = await callApi(api.baseUrl, 'GET', '/v1/credits');
    expectError(none, 401, 'UNAUTHENTICATED');
    expect(none.body.error.message).toMatch(/Bearer .*dashboard/);
  });
});

describe('the end of a session', () => {
  it('DELETE /v1/dashboard/session needs the CSRF token, then ends the session and clears the cookie', async () => {
    const session = await signIn(api.baseUrl, a.dashboardKey);
    const token = session.cookie.slice('lb_session='.length);
    const refused = await callAsSession(api.baseUrl, session, 'DELETE', '/v1/dashboard/session', {
      csrf: false,
    });
    expectError(refused, 403, 'CSRF_TOKEN_INVALID');
    expect((await callAsSession(api.baseUrl, session, 'GET', '/v1/credits')).status).toBe(200);

    const out = await callAsSession(api.baseUrl, session, 'DELETE', '/v1/dashboard/session');
    expect(out.status).toBe(204);
    expect(out.body).toBe('');
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('lb_session='))!;
    expect(cleared).toMatch(/^lb_session=;/);
    expect(cleared).toContain('Expires=Thu, 01 Jan 1970');
    const row = await t.db
      .selectFrom('dashboard_sessions')
      .select('org_id')
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    expect(row).toBeUndefined();
    expectError(await callAsSession(api.baseUrl, session, 'GET', '/v1/credits'), 401, 'UNAUTHENTICATED');
    expectError(
      await callAsSession(api.baseUrl, session, 'GET', '/v1/dashboard/session'),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('an expired session is 401 on every route', async () => {
    const session = await signIn(api.baseUrl, a.dashboardKey);
    const token = session.cookie.slice('lb_session='.length);
    await t.db
      .updateTable('dashboard_sessions')
      .set({ created_at: sql`now() - interval '13 hours'`, expires_at: sql`now() - interval '1 second'` })
      .where('token_hash', '=', sha256(token))
      .execute();
    expectError(await callAsSession(api.baseUrl, session, 'GET', '/v1/credits'), 401, 'UNAUTHENTICATED');
    expectError(
      await callAsSession(api.baseUrl, session, 'GET', '/v1/dashboard/session'),
      401,
      'UNAUTHENTICATED',
    );
    expectError(
      await callAsSession(api.baseUrl, session, 'PUT', '/v1/credits/alerts', {
        json: { thresholdCredits: 3 },
      }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('lasts DASHBOARD_SESSION_TTL_MS when configured', async () => {
    const short = await startDbApi(t.db, { config: { ...NO_RATE_LIMITS, dashboardSessionTtlMs: 60_000 } });
    try {
      const before = Date.now();
      const session = await signIn(short.baseUrl, a.dashboardKey);
      expect(Date.parse(session.expiresAt) - before).toBeLessThan(2 * 60_000);
      expect(Date.parse(session.expiresAt) - before).toBeGreaterThan(0);
    } finally {
      await short.close();
    }
  });

  it('a disabled key ends its sessions (503 KILL_SWITCH) and cannot open one', async () => {
    const org = await newOrg('Gamma Co');
    const session = await signIn(api.baseUrl, org.dashboardKey);
    expect((await callAsSession(api.baseUrl, session, 'GET', '/v1/credits')).status).toBe(200);
    await disableApiKey(t.db, org.dashboardKey);
    expectError(await callAsSession(api.baseUrl, session, 'GET', '/v1/credits'), 503, 'KILL_SWITCH');
    const again = await callApi(api.baseUrl, 'POST', '/v1/dashboard/session', {
      json: { apiKey: org.dashboardKey },
    });
    expectError(again, 503, 'KILL_SWITCH');
  });
});

describe('the OpenAPI document', () => {
  it('publishes the session routes, the cookie scheme and the CSRF refusal', async () => {
    const doc = (await callApi(api.baseUrl, 'GET', '/v1/openapi.json')).body;
    expect(doc.components.securitySchemes.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'lb_session',
    });
    const session = doc.paths['/v1/dashboard/session'];
    expect(session.post.operationId).toBe('signInToDashboard');
    expect(session.post.security).toEqual([]);
    expect(Object.keys(session.post.responses)).toEqual(expect.arrayContaining(['201', '401', '403']));
    expect(session.post.responses['201'].headers['Set-Cookie'].required).toBe(true);
    expect(session.get.security).toEqual([{ cookieAuth: [] }]);
    expect(session.delete.responses['204']).not.toHaveProperty('content');
    expect(session.delete.responses['403'].description).toContain('CSRF_TOKEN_INVALID');
    const alerts = doc.paths['/v1/credits/alerts'].put;
    expect(alerts.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(alerts.responses['403'].description).toContain('CSRF_TOKEN_INVALID');
    expect(doc.paths['/v1/credits'].get.responses['403']).toBeUndefined();
  });
});
