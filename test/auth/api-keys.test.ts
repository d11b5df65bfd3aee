import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticateApiKey,
  authenticateApiKeyWithBalance,
  createApiKey,
  disableApiKey,
  generateApiKey,
  prefixOf,
  setOrganizationDisabled,
} from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fingerprint, makeOrg } from '../support/fixtures';

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

  it('answer each of many requests looked up together (one batch) for its own key', async () => {
    const a = await makeOrg(t.db);
    const b = await makeOrg(t.db);
    const keyA = await createApiKey(t.db, a.orgId);
    const keyA2 = await createApiKey(t.db, a.orgId);
    const keyB = await createApiKey(t.db, b.orgId);
    await disableApiKey(t.db, keyA2.prefix);
    // All asked for in one turn of the event loop, so all answered by one statement.
    const results = await Promise.all([
      authenticateApiKey(t.db, keyA.apiKey),
      authenticateApiKey(t.db, keyA2.apiKey),
      authenticateApiKeyWithBalance(t.db, keyB.apiKey),
      authenticateApiKey(t.db, `${keyB.prefix}_${'x'.repeat(43)}`),
      authenticateApiKey(t.db, generateApiKey().apiKey),
      authenticateApiKey(t.db, 'not a key'),
      authenticateApiKey(t.db, keyA.apiKey),
    ]);
    expect(results).toEqual([
      { ok: true, identity: expect.objectContaining({ orgId: a.orgId, prefix: keyA.prefix }) },
      { ok: false, reason: 'key_disabled', identity: expect.objectContaining({ prefix: keyA2.prefix }) },
      {
        ok: true,
        identity: expect.objectContaining({ orgId: b.orgId, prefix: keyB.prefix }),
        balance: expect.objectContaining({ billing_status: 'active', reserved_credits: 0 }),
      },
      { ok: false, reason: 'invalid' },
      { ok: false, reason: 'invalid' },
      { ok: false, reason: 'invalid' },
      { ok: true, identity: expect.objectContaining({ orgId: a.orgId, prefix: keyA.prefix }) },
    ]);
    // The balance is read only with the key, never in place of verifying it.
    expect(await authenticateApiKeyWithBalance(t.db, `${keyB.prefix}_${'x'.repeat(43)}`)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('see a key disabled between two lookups on the second, whatever was looked up before', async () => {
    const org = await makeOrg(t.db);
    const key = await createApiKey(t.db, org.orgId);
    for (let i = 0; i < 3; i++) {
      expect(await authenticateApiKeyWithBalance(t.db, key.apiKey)).toMatchObject({ ok: true });
    }
    await setOrganizationDisabled(t.db, org.orgId, true);
    expect(await authenticateApiKeyWithBalance(t.db, key.apiKey)).toMatchObject({
      ok: false,
      reason: 'org_disabled',
    });
    await setOrganizationDisabled(t.db, org.orgId, false);
    expect(await authenticateApiKey(t.db, key.apiKey)).toMatchObject({ ok: true });
    await disableApiKey(t.db, key.prefix);
    expect(await authenticateApiKey(t.db, key.apiKey)).toMatchObject({ ok: false, reason: 'key_disabled' });
  });

  it('carry the scopes they were created with, read in the same statement as the key', async () => {
    const org = await makeOrg(t.db);
    const partner = await createApiKey(t.db, org.orgId);
    const ingest = await createApiKey(t.db, org.orgId, { scopes: ['wallet:spend', 'wallet:spend'] });
    expect(partner.scopes).toEqual([]);
    expect(ingest.scopes).toEqual(['wallet:spend']);
    expect(await authenticateApiKey(t.db, partner.apiKey)).toMatchObject({ identity: { scopes: [] } });
    expect(await authenticateApiKey(t.db, ingest.apiKey)).toMatchObject({
      identity: { scopes: ['wallet:spend'] },
    });
    expect(await authenticateApiKeyWithBalance(t.db, ingest.apiKey)).toMatchObject({
      identity: { scopes: ['wallet:spend'] },
    });
  });

  it('refuse an unknown scope with VALIDATION_FAILED, writing nothing', async () => {
    const org = await makeOrg(t.db);
    const before = await fingerprint(t.db);
    for (const scopes of [['wallet:admin'], ['wallet:spend', ''], ['WALLET:SPEND']]) {
      const err = await createApiKey(t.db, org.orgId, { scopes }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('VALIDATION_FAILED');
      expect((err as DomainError).details).toEqual({ field: 'scopes' });
    }
    expect(await fingerprint(t.db)).toEqual(before);
  });
});
