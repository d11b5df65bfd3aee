import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { startApiHarness, type ApiHarness, type TestOrg } from '../support/api';
import { fingerprint } from '../support/fixtures';

/**
 * Guarantee 8: one org's key never reads or changes another org's data. Every route is called with
 * org A's key and org B's ids; each answers 404 (or A's own data) and nothing of B's changes.
 */
let h: ApiHarness;
let a: TestOrg;
let b: TestOrg;
let genA: string;
let genB: string;
let cursorB: string;

async function start(org: TestOrg): Promise<string> {
  const res = await h.call('POST', '/v1/generations', {
    key: org.apiKey,
    json: { projectId: org.projectId, format: 'slideshow_builder' },
    headers: { 'idempotency-key': randomUUID() },
  });
  expect(res.status).toBe(201);
  return res.body.generationId;
}

beforeAll(async () => {
  h = await startApiHarness();
  [a, b] = await Promise.all([
    h.newOrg({ tier: 'plus', prepaid: 300 }),
    h.newOrg({ tier: 'pro', prepaid: 700 }),
  ]);
  genA = await start(a);
  await start(b);
  genB = await start(b);
  cursorB = (await h.call('GET', '/v1/generations?limit=1', { key: b.apiKey })).body.nextCursor;
  expect(cursorB).toEqual(expect.any(String));
});
afterAll(async () => {
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  await h.close();
});

describe("org A's key against org B's data", () => {
  it('reads only its own credits and identity', async () => {
    const credits = await h.call('GET', '/v1/credits', { key: a.apiKey });
    expect(credits.body).toMatchObject({
      organizationId: a.orgId,
      balance: 400,
      reservedCredits: 50,
      subscriptionTier: 'plus',
    });
    const who = await h.call('GET', '/v1/whoami', { key: a.apiKey });
    expect(who.body).toMatchObject({
      organization: { id: a.orgId },
      key: { prefix: a.prefix },
      creditBalance: 400,
    });
    expect(JSON.stringify([credits.body, who.body])).not.toContain(b.orgId);
  });

  it("gets 404 for every route that takes B's ids, and B's data does not change", async () => {
    const before = await fingerprint(h.t.db);
    const bCredits = (await h.call('GET', '/v1/credits', { key: b.apiKey })).body;
    const calls = [
      h.call('GET', `/v1/generations/${genB}`, { key: a.apiKey }),
      h.call('POST', `/v1/generations/${genB}/complete`, { key: a.apiKey, json: { actualCredits: 1 } }),
      h.call('POST', `/v1/generations/${genB}/fail`, { key: a.apiKey, json: { reason: 'not yours' } }),
      h.call('POST', '/v1/generations', {
        key: a.apiKey,
        json: { projectId: b.projectId, format: 'auto' },
        headers: { 'idempotency-key': randomUUID() },
      }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      expect(JSON.stringify(res.body)).not.toContain(b.orgId);
    }
    expect(await fingerprint(h.t.db)).toEqual(before);
    expect((await h.call('GET', '/v1/credits', { key: b.apiKey })).body).toEqual(bCredits);
    expect((await h.call('GET', `/v1/generations/${genB}`, { key: b.apiKey })).body.status).toBe('running');
  });

  it("lists only A's generations, even with a cursor taken from B's listing", async () => {
    const all = await h.call('GET', '/v1/generations?limit=100', { key: a.apiKey });
    expect(all.body.data.map((g: { generationId: string }) => g.generationId)).toEqual([genA]);
    const withBCursor = await h.call('GET', `/v1/generations?cursor=${cursorB}`, { key: a.apiKey });
    expect(withBCursor.status).toBe(200);
    for (const g of withBCursor.body.data) expect(g.generationId).toBe(genA);
  });

  it("B's own key still completes B's generation afterwards", async () => {
    const res = await h.call('POST', `/v1/generations/${genB}/complete`, {
      key: b.apiKey,
      json: { actualCredits: 10 },
    });
    expect(res).toMatchObject({ status: 200, body: { credits: { organizationId: b.orgId } } });
    const done = await h.call('POST', `/v1/generations/${genA}/complete`, {
      key: a.apiKey,
      json: { actualCredits: 10 },
    });
    expect(done).toMatchObject({ status: 200, body: { credits: { organizationId: a.orgId } } });
  });
});
