import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateApiKey, sha256 } from '../../src/auth/api-keys';
import { runCli } from '../../src/cli/commands';
import { createDb } from '../../src/db/pool';
import { createOrganization } from '../../src/orgs/orgs';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startDbApi, type DbApi } from '../support/db-api';

/**
 * The dashboard commands of the admin CLI: `dashboard link` (a one-time sign-in link, opened here against
 * a real API) and `key create --scope dashboard`. No Temporal: neither command needs it.
 */
let t: TestDatabase;
let api: DbApi;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: t.url, ...env },
    openDb: (url) => createDb(url, { max: 1 }),
    connectTemporal: () => Promise.reject(new Error('no Temporal in this test')),
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

beforeAll(async () => {
  t = await createTestDatabase();
  api = await startDbApi(t.db);
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

describe('layers-billing dashboard link', () => {
  it('prints a one-time link that signs the browser in as the org, creating its dashboard key once', async () => {
    const { orgId } = await createOrganization(t.db, { name: 'Cli Co', tier: 'plus' });
    const first = await cli(['dashboard', 'link', '--org', orgId, '--url', api.baseUrl, '--actor', 'ops']);
    expect(first).toMatchObject({
      code: 0,
      json: { orgId, keyPrefix: expect.stringMatching(/^lb_live_[0-9a-f]{16}$/), keyCreated: true },
    });
    expect(first.json.url).toMatch(
      new RegExp(`^${api.baseUrl}/dashboard/sign-in\\?token=[A-Za-z0-9_-]{43}$`),
    );
    const minutesLeft = (Date.parse(first.json.expiresAt) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(14);
    expect(minutesLeft).toBeLessThanOrEqual(15.5);
    // The key it created is in the audit trail, under the operator named.
    const event = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id'])
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({ action: 'api_key.created', actor_type: 'admin', actor_id: 'ops' });

    const res = await fetch(first.json.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/');
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    const session = await fetch(`${api.baseUrl}/v1/dashboard/session`, { headers: { cookie } });
    expect(await session.json()).toMatchObject({ orgId, orgName: 'Cli Co' });

    const second = await cli(['dashboard', 'link', '--org', orgId, '--minutes', '60'], { PORT: '4321' });
    expect(second.json).toMatchObject({ keyPrefix: first.json.keyPrefix, keyCreated: false });
    expect(second.json.url).toMatch(/^http:\/\/127\.0\.0\.1:4321\/dashboard\/sign-in\?token=/);
    expect((Date.parse(second.json.expiresAt) - Date.now()) / 60_000).toBeGreaterThan(59);
    // Only the token's hash is stored.
    const token = new URL(second.json.url).searchParams.get('token')!;
    const link = await t.db
      .selectFrom('dashboard_sign_in_links')
      .select('org_id')
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    expect(link).toEqual({ org_id: orgId });
  });

  it('refuses an unknown org (exit 1) and bad options (exit 2), making nothing', async () => {
    const before = await t.db.selectFrom('dashboard_sign_in_links').select('org_id').execute();
    const unknown = await cli(['dashboard', 'link', '--org', 'org_nope']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/NOT_FOUND: organization org_nope not found/);
    const { orgId } = await createOrganization(t.db, { name: 'Opts Co', tier: 'plus' });
    for (const args of [
      ['--minutes', '0'],
      ['--minutes', '10081'],
      ['--minutes', '1.5'],
      ['--url', 'ftp://example.com'],
    ]) {
      const res = await cli(['dashboard', 'link', '--org', orgId, ...args]);
      expect(res.code, args.join(' ')).toBe(2);
    }
    expect(await t.db.selectFrom('dashboard_sign_in_links').select('org_id').execute()).toEqual(before);
    const keys = await t.db.selectFrom('api_keys').select('prefix').where('org_id', '=', orgId).execute();
    expect(keys).toEqual([]);
  });

  it('lists the command in --help', async () => {
    const help = await cli(['dashboard', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('link');
  });
});

describe('layers-billing key create --scope dashboard', () => {
  it('issues a key that can sign in to the dashboard', async () => {
    const { orgId } = await createOrganization(t.db, { name: 'Scoped Co', tier: 'plus' });
    const res = await cli(['key', 'create', '--org', orgId, '--scope', 'dashboard']);
    expect(res).toMatchObject({ code: 0, json: { orgId, scopes: ['dashboard'] } });
    expect(await authenticateApiKey(t.db, res.json.apiKey)).toMatchObject({
      ok: true,
      identity: { orgId, scopes: ['dashboard'] },
    });
    const signIn = await fetch(`${api.baseUrl}/v1/dashboard/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: res.json.apiKey }),
    });
    expect(signIn.status).toBe(201);
  });
});
