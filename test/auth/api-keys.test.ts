import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticateApiKey,
  createApiKey,
  disableApiKey,
  generateApiKey,
  prefixOf,
  setOrganizationDisabled,
} from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  if (!t) return;
  expect(await findDrift(t.db)).toEqual([]);
  await t.close();
});

describe('API keys', () => {
  it('have a recognisable prefix and 256 random bits, and parse back to their prefix', () => {
    const { apiKey, prefix, secretHash } = generateApiKey();
    expect(apiKey.startsWith(`${prefix}_`)).toBe(true);
    expect(prefix).toMatch(/^lb_live_[0-9a-f]{16}$/);
    expect(Buffer.from(apiKey.slice(prefix.length + 1), 'base64url')).toHaveLength(32);
    expect(secretHash).toHaveLength(32);
    expect(prefixOf(apiKey)).toBe(prefix);
    for (const bad of ['', prefix, `${prefix}_short`, `${apiKey}x`, apiKey.replace('lb_live_', 'lb_test_')]) {
      expect(prefixOf(bad), bad).toBeUndefined();
    }
  });

  it('are stored only as a hash and authenticate by prefix', async () => {
    const org = await makeOrg(t.db);
    const key = await createApiKey(t.db, org.orgId);
    const row = await t.db
      .selectFrom('api_keys')
      .selectAll()
      .where('prefix', '=', key.prefix)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toHaveLength(32);
    expect(row.secret_hash.toString('utf8')).not.toContain(key.apiKey.slice(key.prefix.length + 1));
    expect(await authenticateApiKey(t.db, key.apiKey)).toMatchObject({
      ok: true,
      identity: { orgId: org.orgId, prefix: key.prefix },
    });
    expect(await authenticateApiKey(t.db, `${key.prefix}_${'x'.repeat(43)}`)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await authenticateApiKey(t.db, generateApiKey().apiKey)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('report a disabled key or org, key first; disabling by full key or prefix both work', async () => {
    const org = await makeOrg(t.db);
    const key = await createApiKey(t.db, org.orgId);
    await setOrganizationDisabled(t.db, org.orgId, true);
    expect(await authenticateApiKey(t.db, key.apiKey)).toMatchObject({ ok: false, reason: 'org_disabled' });
    await disableApiKey(t.db, key.apiKey);
    expect(await authenticateApiKey(t.db, key.apiKey)).toMatchObject({ ok: false, reason: 'key_disabled' });
    expect(await disableApiKey(t.db, key.prefix)).toEqual({
      orgId: org.orgId,
      prefix: key.prefix,
      disabled: true,
    });
  });
});
