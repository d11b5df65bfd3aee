import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import type { ApiResponse } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { callAsSession, signIn } from '../support/dashboard';
import { startDbApi, type DbApi } from '../support/db-api';
import { fingerprint } from '../support/fixtures';
import { generate } from './invoice-support';

/**
 * GET /v1/projects over real HTTP and PostgreSQL: the names behind the projectId that the credit history
 * and the wallet's transactions carry, of the calling org only.
 */
let t: TestDatabase;
let api: DbApi;

beforeAll(async () => {
  t = await createTestDatabase();
  api = await startDbApi(t.db);
}, 60_000);

afterAll(async () => {
  if (t) expect(await findDrift(t.db)).toEqual([]);
  await api?.close();
  await t?.close();
});

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

async function orgWithProjects(name: string, tier: string, projects: string[]) {
  const org = await createOrganization(t.db, { name, tier, projectName: 'Default' });
  const ids = [org.projectId];
  for (const project of projects) ids.push((await createProject(t.db, org.orgId, project)).projectId);
  const { apiKey } = await createApiKey(t.db, org.orgId, { scopes: ['dashboard'] });
  return { orgId: org.orgId, ids, apiKey };
}

describe('GET /v1/projects', () => {
  it('lists the org’s projects oldest first, naming every project its credit history carries', async () => {
    const org = await orgWithProjects('Projects Co', 'pro', ['Spring launch', 'Summer sale']);
    const [main, spring, summer] = org.ids as [string, string, string];
    const res = await api.call('GET', '/v1/projects', { key: org.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((p: { id: string; name: string }) => [p.id, p.name])).toEqual([
      [main, 'Default'],
      [spring, 'Spring launch'],
      [summer, 'Summer sale'],
    ]);
    const rows = await t.db
      .selectFrom('projects')
      .select(['id', 'created_at'])
      .where('org_id', '=', org.orgId)
      .execute();
    for (const p of res.body.data) {
      expect(p.createdAt).toBe(rows.find((r) => r.id === p.id)!.created_at.toISOString());
    }

    await generate(t.db, org.orgId, [
      [spring, 30],
      [summer, 12],
    ]);
    const history = await api.call('GET', '/v1/credits/history?entryType=capture', { key: org.apiKey });
    const named = new Set(res.body.data.map((p: { id: string }) => p.id));
    const used = history.body.data.map((e: { projectId: string | null }) => e.projectId);
    expect(used).toHaveLength(2);
    expect(used.every((id: string) => named.has(id))).toBe(true);

    const session = await signIn(api.baseUrl, org.apiKey);
    expect((await callAsSession(api.baseUrl, session, 'GET', '/v1/projects')).body).toEqual(res.body);
  });

  it("shows another org none of this org's projects, refuses parameters and a missing key, writing nothing", async () => {
    const a = await orgWithProjects('Alpha Co', 'max', ['Alpha secret']);
    const b = await orgWithProjects('Beta Co', 'plus', []);
    const before = await fingerprint(t.db);
    const theirs = await api.call('GET', '/v1/projects', { key: b.apiKey });
    expect(theirs.status).toBe(200);
    expect(theirs.body.data.map((p: { id: string }) => p.id)).toEqual(b.ids);
    for (const id of a.ids) expect(JSON.stringify(theirs.body)).not.toContain(id);
    expect(JSON.stringify(theirs.body)).not.toContain('Alpha secret');
    // No parameter selects another org's projects, or any: the route takes none.
    for (const path of [`/v1/projects?orgId=${a.orgId}`, '/v1/projects?limit=10']) {
      expectError(await api.call('GET', path, { key: b.apiKey }), 400, 'VALIDATION_FAILED');
    }
    expectError(await api.call('GET', '/v1/projects'), 401, 'UNAUTHENTICATED');
    expectError(await api.call('GET', '/v1/projects', { key: 'lb_live_0000' }), 401, 'UNAUTHENTICATED');
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it('is in the OpenAPI document with the key and the session cookie, like every /v1 route', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    const get = doc.paths['/v1/projects'].get;
    expect(get).toMatchObject({ operationId: 'listProjects', parameters: [] });
    expect(get.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(get.responses['200'].content['application/json'].schema.required).toEqual(['data']);
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    // The alert's read, served beside it by the same database-only API.
    const alert = doc.paths['/v1/credits/alerts'];
    expect(alert.get).toMatchObject({ operationId: 'getCreditAlert', security: get.security });
    expect(alert.get.responses['200'].content).toEqual(alert.put.responses['200'].content);
  });
});
