import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, NOT_BUILT_MESSAGE } from '../../src/api/dashboard-pages';
import { createApiKey, disableApiKey, sha256 } from '../../src/auth/api-keys';
import { createSignInLink, dashboardKeyOf, redeemSignInLink } from '../../src/auth/sign-in-links';
import { createOrganization } from '../../src/orgs/orgs';
import { callApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { cookieFrom } from '../support/dashboard';
import { startDbApi, type DbApi } from '../support/db-api';

/**
 * The dashboard's pages as the API process serves them, over a build of our own in a temporary directory
 * (dashboard/dist may not be built when this runs): files of the build, index.html for every other path
 * under /dashboard/ (the app routes on the client), 503 with a sentence until there is a build, a strict
 * Content-Security-Policy on all of it; and the one-time sign-in links.
 */
let t: TestDatabase;
let api: DbApi;
let dist: string;

const INDEX =
  '<!doctype html><html><head><script type="module" src="/dashboard/assets/app-1a2b.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("dashboard");';

/** fetch without following redirects. */
const get = (p: string, headers: Record<string, string> = {}) =>
  fetch(`${api.baseUrl}${p}`, { redirect: 'manual', headers });

/** A path sent exactly as written (fetch would normalise `..` away before sending). */
function rawGet(p: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  dist = mkdtempSync(path.join(tmpdir(), 'layers-dashboard-dist-'));
  api = await startDbApi(t.db, { dashboardDir: dist });
});

afterAll(async () => {
  await api?.close();
  await t?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe('before the dashboard is built', () => {
  it('answers every page 503 with one sentence saying how to build it', async () => {
    for (const p of ['/dashboard/', '/dashboard/billing', '/dashboard/assets/app-1a2b.js']) {
      const res = await get(p);
      expect(res.status, p).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      const text = await res.text();
      expect(text).toBe(NOT_BUILT_MESSAGE);
      expect(text).toContain('npm run build');
    }
  });
});

describe('a built dashboard', () => {
  beforeAll(() => {
    // Built while the API runs: the next request finds it, no restart.
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'app-1a2b.js'), SCRIPT);
    writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });

  it('redirects /dashboard to /dashboard/', async () => {
    const res = await get('/dashboard');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/dashboard/');
  });

  it('serves index.html at /dashboard/, never cached, with a strict Content-Security-Policy', async () => {
    const res = await get('/dashboard/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(INDEX);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves the files of the build, hashed assets cached for a year', async () => {
    const script = await get('/dashboard/assets/app-1a2b.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await script.text()).toBe(SCRIPT);
    const icon = await get('/dashboard/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(icon.headers.get('cache-control')).not.toContain('immutable');
  });

  it("answers index.html for any other path under /dashboard/ (the app's own routes)", async () => {
    for (const p of ['/dashboard/billing', '/dashboard/wallet/transactions', '/dashboard/assets/gone.js']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toBe(INDEX);
      expect(res.headers.get('cache-control'), p).toBe('no-cache');
    }
  });

  it('never serves a file outside the build', async () => {
    writeFileSync(path.join(path.dirname(dist), `${path.basename(dist)}-secret.txt`), 'secret');
    try {
      for (const p of [
        `/dashboard/../${path.basename(dist)}-secret.txt`,
        `/dashboard/%2e%2e/${path.basename(dist)}-secret.txt`,
        `/dashboard/assets/%2e%2e/%2e%2e/${path.basename(dist)}-secret.txt`,
        '/dashboard/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      ]) {
        const res = await rawGet(p);
        expect(res.body, p).not.toContain('secret');
        expect(res.body, p).not.toContain('root:');
      }
    } finally {
      rmSync(path.join(path.dirname(dist), `${path.basename(dist)}-secret.txt`), { force: true });
    }
  });

  it('is not part of the API document, and a page is only read', async () => {
    const doc = (await callApi(api.baseUrl, 'GET', '/v1/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
    const post = await fetch(`${api.baseUrl}/dashboard/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('GET /dashboard/sign-in?token= (one-time links)', () => {
  let orgId: string;
  let key: { orgId: string; prefix: string };
  beforeAll(async () => {
    orgId = (await createOrganization(t.db, { name: 'Linked Co', tier: 'plus' })).orgId;
    key = await dashboardKeyOf(t.db, orgId);
  });

  it('sets the session cookie and sends the browser to /dashboard/, once', async () => {
    const link = await createSignInLink(t.db, key);
    const res = await get(`/dashboard/sign-in?token=${link.token}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('lb_session='))!;
    expect(setCookie.split('; ')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    const cookie = setCookie.split(';')[0]!;
    const session = await callApi(api.baseUrl, 'GET', '/v1/dashboard/session', { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ orgId, orgName: 'Linked Co' });
    const who = await callApi(api.baseUrl, 'GET', '/v1/whoami', { headers: { cookie } });
    expect(who.body.key.prefix).toBe(key.prefix);

    const again = await get(`/dashboard/sign-in?token=${link.token}`);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/dashboard/?signin=expired');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('opens one session however many tabs use the link at once', async () => {
    const link = await createSignInLink(t.db, key);
    const before = await t.db.selectFrom('dashboard_sessions').select('token_hash').execute();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => get(`/dashboard/sign-in?token=${link.token}`)),
    );
    const locations = results.map((r) => r.headers.get('location'));
    expect(locations.filter((l) => l === '/dashboard/')).toHaveLength(1);
    expect(locations.filter((l) => l === '/dashboard/?signin=expired')).toHaveLength(7);
    const after = await t.db.selectFrom('dashboard_sessions').select('token_hash').execute();
    expect(after.length - before.length).toBe(1);
  });

  it('refuses an expired, unknown, malformed or missing token, and a link whose key was disabled', async () => {
    const expired = await createSignInLink(t.db, key);
    await t.db
      .updateTable('dashboard_sign_in_links')
      .set({ created_at: sql`now() - interval '1 hour'`, expires_at: sql`now() - interval '1 second'` })
      .where('token_hash', '=', sha256(expired.token))
      .execute();
    const other = await createOrganization(t.db, { name: 'Disabled Co', tier: 'plus' });
    const otherKey = await createApiKey(t.db, other.orgId, { scopes: ['dashboard'] });
    const orphaned = await createSignInLink(t.db, otherKey);
    await disableApiKey(t.db, otherKey.prefix);
    const paths = [
      `/dashboard/sign-in?token=${expired.token}`,
      `/dashboard/sign-in?token=${'A'.repeat(43)}`,
      '/dashboard/sign-in?token=short',
      '/dashboard/sign-in?token=',
      '/dashboard/sign-in',
      `/dashboard/sign-in?token=${orphaned.token}&token=${orphaned.token}`,
      `/dashboard/sign-in?token=${orphaned.token}`,
    ];
    for (const p of paths) {
      const res = await get(p);
      expect(res.status, p).toBe(303);
      expect(res.headers.get('location'), p).toBe('/dashboard/?signin=expired');
      expect(cookieFrom({ status: res.status, headers: res.headers, body: undefined }), p).toBeUndefined();
    }
    // The disabled key's link was refused before it was spent: nothing opened a session for it.
    const sessions = await t.db
      .selectFrom('dashboard_sessions')
      .select('org_id')
      .where('org_id', '=', other.orgId)
      .execute();
    expect(sessions).toEqual([]);
  });

  it('lasts 15 minutes unless asked otherwise', async () => {
    const before = Date.now();
    const link = await createSignInLink(t.db, key);
    expect(link.expiresAt.getTime() - before).toBeGreaterThan(14 * 60_000);
    expect(link.expiresAt.getTime() - before).toBeLessThan(16 * 60_000);
    const long = await createSignInLink(t.db, key, 24 * 3_600_000);
    expect(long.expiresAt.getTime() - before).toBeGreaterThan(23 * 3_600_000);
    expect(await redeemSignInLink(t.db, long.token)).toMatchObject({ orgId });
  });

  it("acts as the org's newest dashboard key, creating one (never shown) only when it has none", async () => {
    const fresh = await createOrganization(t.db, { name: 'Fresh Co', tier: 'plus' });
    await createApiKey(t.db, fresh.orgId); // a partner key does not count
    const first = await dashboardKeyOf(t.db, fresh.orgId);
    expect(first).toMatchObject({ orgId: fresh.orgId, created: true });
    const row = await t.db
      .selectFrom('api_keys')
      .select('scopes')
      .where('prefix', '=', first.prefix)
      .executeTakeFirstOrThrow();
    expect(row.scopes).toEqual(['dashboard']);
    expect(await dashboardKeyOf(t.db, fresh.orgId)).toEqual({ ...first, created: false });
    await disableApiKey(t.db, first.prefix);
    const next = await dashboardKeyOf(t.db, fresh.orgId);
    expect(next.created).toBe(true);
    expect(next.prefix).not.toBe(first.prefix);
    await expect(dashboardKeyOf(t.db, 'org_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
