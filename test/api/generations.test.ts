import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestHash } from '../../src/api/idempotency';
import { disableApiKey, setOrganizationDisabled, createApiKey } from '../../src/auth/api-keys';
import { grantCredits } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { callApi, startApiHarness, type ApiHarness, type TestOrg } from '../support/api';
import { fingerprint } from '../support/fixtures';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  await h.close();
});

const create = (org: TestOrg, body: unknown, key: string = randomUUID()) =>
  h.call('POST', '/v1/generations', { key: org.apiKey, json: body, headers: { 'idempotency-key': key } });

async function reservationsOf(orgId: string): Promise<number> {
  const rows = await h.t.db
    .selectFrom('credit_ledger')
    .select('id')
    .where('org_id', '=', orgId)
    .where('entry_type', '=', 'reserve')
    .execute();
  return rows.length;
}

describe('generation lifecycle over HTTP', () => {
  it('answers 422 ACTUAL_COST_IMPLAUSIBLE above the format ceiling and keeps the hold for a valid complete', async () => {
    const org = await h.newOrg({ tier: 'pro' });
    const created = await create(org, { projectId: org.projectId, format: 'slideshow_builder' });
    const id = created.body.generationId as string;
    const complete = (actualCredits: number) =>
      h.call('POST', `/v1/generations/${id}/complete`, { key: org.apiKey, json: { actualCredits } });
    const before = await fingerprint(h.t.db);
    const refused = await complete(1_000_000_000);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'ACTUAL_COST_IMPLAUSIBLE',
      details: { actualCredits: 1_000_000_000, maxActualCredits: 500, format: 'slideshow_builder' },
    });
    expect(await fingerprint(h.t.db)).toEqual(before);
    const held = await h.call('GET', `/v1/generations/${id}`, { key: org.apiKey });
    expect(held.body).toMatchObject({ status: 'running', reservation: { status: 'held', amount: 50 } });
    const ok = await complete(80);
    expect(ok.status).toBe(200);
    expect(ok.body.charge).toMatchObject({ hold: 50, actual: 80, fromIncluded: 80 });
  });

  it('creates, reads, completes and lists a generation', async () => {
    const org = await h.newOrg({ tier: 'pro' });
    const created = await create(org, { projectId: org.projectId, format: 'video_remix' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['generationId', 'reservedCredits', 'credits']);
    expect(created.body).toMatchObject({
      reservedCredits: 120,
      credits: { reservedCredits: 120, available: 880, balance: 1000 },
    });
    const id = created.body.generationId as string;
    expect(id).toMatch(/^gen_[0-9a-f-]{36}$/);

    const running = await h.call('GET', `/v1/generations/${id}`, { key: org.apiKey });
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({
      generationId: id,
      projectId: org.projectId,
      format: 'video_remix',
      status: 'running',
      estimatedCredits: 120,
      actualCredits: null,
      model: null,
      failureReason: null,
      reservation: { status: 'held', amount: 120, capturedCredits: null, settledAt: null },
      endedAt: null,
    });
    expect(new Date(running.body.createdAt).toISOString()).toBe(running.body.createdAt);

    const done = await h.call('POST', `/v1/generations/${id}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 90, model: 'kling-2' },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      generationId: id,
      status: 'completed',
      charge: {
        hold: 120,
        actual: 90,
        fromIncluded: 90,
        fromPrepaid: 0,
        overage: 0,
        writtenOff: 0,
        released: 30,
      },
      credits: { balance: 910, reservedCredits: 0, available: 910, usedThisPeriod: 90 },
    });
    // A retried completion gets the same answer; a different one is refused.
    const again = await h.call('POST', `/v1/generations/${id}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 90, model: 'kling-2' },
    });
    expect(again.status).toBe(200);
    expect(again.body.charge).toEqual(done.body.charge);
    const other = await h.call('POST', `/v1/generations/${id}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 91 },
    });
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'GENERATION_ALREADY_ENDED' } } });
    const failLate = await h.call('POST', `/v1/generations/${id}/fail`, {
      key: org.apiKey,
      json: { reason: 'too late' },
    });
    expect(failLate).toMatchObject({ status: 409, body: { error: { code: 'GENERATION_ALREADY_ENDED' } } });

    const ended = await h.call('GET', `/v1/generations/${id}`, { key: org.apiKey });
    expect(ended.body).toMatchObject({
      status: 'completed',
      actualCredits: 90,
      model: 'kling-2',
      reservation: { status: 'captured', amount: 120, capturedCredits: 90 },
    });
    expect(ended.body.endedAt).not.toBeNull();
    expect(ended.body.reservation.settledAt).not.toBeNull();
    const list = await h.call('GET', '/v1/generations', { key: org.apiKey });
    expect(list.body).toEqual({ data: [ended.body], nextCursor: null });
  });

  it('fails a generation and releases the whole hold', async () => {
    const org = await h.newOrg({ prepaid: 200 });
    const { body } = await create(org, { projectId: org.projectId, format: 'slideshow_remix' });
    const res = await h.call('POST', `/v1/generations/${body.generationId}/fail`, {
      key: org.apiKey,
      json: { reason: 'provider timeout' },
    });
    expect(res).toMatchObject({
      status: 200,
      body: {
        generationId: body.generationId,
        status: 'failed',
        releasedCredits: 50,
        credits: { balance: 200, available: 200 },
      },
    });
    const got = await h.call('GET', `/v1/generations/${body.generationId}`, { key: org.apiKey });
    expect(got.body).toMatchObject({
      status: 'failed',
      failureReason: 'provider timeout',
      reservation: { status: 'released' },
    });
  });

  it('pages newest first with an opaque cursor, filtered by status', async () => {
    const org = await h.newOrg({ prepaid: 10_000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await create(org, { projectId: org.projectId, format: 'auto' })).body.generationId);
    await h.call('POST', `/v1/generations/${ids[1]}/fail`, { key: org.apiKey, json: { reason: 'x' } });
    await h.call('POST', `/v1/generations/${ids[3]}/fail`, { key: org.apiKey, json: { reason: 'x' } });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await h.call('GET', `/v1/generations${query}`, { key: org.apiKey });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((g: { generationId: string }) => g.generationId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const failed = await h.call('GET', '/v1/generations?status=failed&limit=100', { key: org.apiKey });
    expect(failed.body.data.map((g: { generationId: string }) => g.generationId)).toEqual([ids[3], ids[1]]);
    const running = await h.call('GET', '/v1/generations?status=running&limit=1', { key: org.apiKey });
    expect(running.body.data.map((g: { generationId: string }) => g.generationId)).toEqual([ids[4]]);
    const rest = await h.call('GET', `/v1/generations?status=running&cursor=${running.body.nextCursor}`, {
      key: org.apiKey,
    });
    expect(rest.body.data.map((g: { generationId: string }) => g.generationId)).toEqual([ids[2], ids[0]]);
  });
});

describe('Idempotency-Key on POST /v1/generations', () => {
  it('replays the same response for the same key and body, with one reservation', async () => {
    const org = await h.newOrg({ prepaid: 1000 });
    const key = randomUUID();
    const first = await create(org, { projectId: org.projectId, format: 'auto' }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Move the balance so a recomputed answer would differ from the stored one.
    await create(org, { projectId: org.projectId, format: 'video_remix' });
    const again = await create(org, { format: 'auto', projectId: org.projectId }, key);
    expect(again.status).toBe(201);
    expect(again.body).toStrictEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await reservationsOf(org.orgId)).toBe(2);
  });

  it('refuses the same key with a different body (409) and changes nothing', async () => {
    const org = await h.newOrg({ prepaid: 1000 });
    const key = randomUUID();
    expect((await create(org, { projectId: org.projectId, format: 'auto' }, key)).status).toBe(201);
    const before = await fingerprint(h.t.db);
    const reused = await create(org, { projectId: org.projectId, format: 'slideshow_builder' }, key);
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED' } } });
    expect(await fingerprint(h.t.db)).toEqual(before);
  });

  it('runs concurrent duplicates once: one reservation, identical responses', async () => {
    const org = await h.newOrg({ prepaid: 1000 });
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => create(org, { projectId: org.projectId, format: 'ugc_remix' }, key)),
    );
    for (const r of results) {
      expect(r.status).toBe(201);
      expect(r.body).toStrictEqual(results[0]!.body);
    }
    expect(await reservationsOf(org.orgId)).toBe(1);
    const credits = await h.call('GET', '/v1/credits', { key: org.apiKey });
    expect(credits.body).toMatchObject({ reservedCredits: 120, available: 880 });
    const record = await h.t.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('org_id', '=', org.orgId)
      .execute();
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({
      status: 'completed',
      response_status: 201,
      generation_id: results[0]!.body.generationId,
    });
  });

  it('finishes the work of an attempt that crashed after claiming the key, with the same generation id', async () => {
    const org = await h.newOrg({ prepaid: 1000 });
    const key = randomUUID();
    const body = { projectId: org.projectId, format: 'auto' };
    const generationId = newId('gen');
    // What a process that died right after its claim leaves behind.
    await h.t.db
      .insertInto('idempotency_keys')
      .values({
        org_id: org.orgId,
        key,
        request_hash: requestHash('POST', '/v1/generations', body),
        generation_id: generationId,
        status: 'pending',
      })
      .execute();
    const res = await create(org, body, key);
    expect(res.status).toBe(201);
    expect(res.body.generationId).toBe(generationId);
    expect(await reservationsOf(org.orgId)).toBe(1);
    // The taken-over claim is completed like any other: the next retry replays it.
    const again = await create(org, body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(res.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const row = await h.t.db
      .selectFrom('idempotency_keys')
      .select(['status', 'generation_id'])
      .where('org_id', '=', org.orgId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'completed', generation_id: generationId });
    const done = await h.call('POST', `/v1/generations/${generationId}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 100 },
    });
    expect(done.status).toBe(200);
  });

  it('stores a 402 too: the same key replays it even after a top-up', async () => {
    const org = await h.newOrg({ prepaid: 100 });
    const key = randomUUID();
    const body = { projectId: org.projectId, format: 'auto' };
    const refused = await create(org, body, key);
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({
      code: 'BILLING_EXHAUSTED',
      details: { required: 120, available: 100 },
    });
    await grantCredits(h.t.db, {
      orgId: org.orgId,
      bucket: 'prepaid',
      credits: 500,
      idempotencyKey: `topup:${org.orgId}`,
    });
    const replay = await create(org, body, key);
    expect(replay.status).toBe(402);
    expect(replay.body).toStrictEqual(refused.body);
    // A new key is a new attempt.
    expect((await create(org, body)).status).toBe(201);
    expect(await reservationsOf(org.orgId)).toBe(1);
  });

  it('scopes keys by org: two orgs may use the same key', async () => {
    const [a, b] = await Promise.all([h.newOrg({ prepaid: 500 }), h.newOrg({ prepaid: 500 })]);
    const key = 'order-1';
    const ra = await create(a, { projectId: a.projectId, format: 'auto' }, key);
    const rb = await create(b, { projectId: b.projectId, format: 'slideshow_builder' }, key);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.generationId).not.toBe(rb.body.generationId);
  });

  it('releases the claim of a refused request, so the key stays usable', async () => {
    const org = await h.newOrg({ prepaid: 500 });
    const key = randomUUID();
    const notMine = await create(org, { projectId: 'prj_missing', format: 'auto' }, key);
    expect(notMine.status).toBe(404);
    expect(
      await h.t.db.selectFrom('idempotency_keys').select('key').where('org_id', '=', org.orgId).execute(),
    ).toEqual([]);
  });
});

describe('kill switch', () => {
  it('answers 503 KILL_SWITCH for a disabled key, leaving the org and its other keys alone', async () => {
    const org = await h.newOrg({ prepaid: 500 });
    const second = await createApiKey(h.t.db, org.orgId);
    await disableApiKey(h.t.db, org.prefix);
    const before = await fingerprint(h.t.db);
    for (const res of [
      await h.call('GET', '/v1/credits', { key: org.apiKey }),
      await create(org, { projectId: org.projectId, format: 'auto' }),
    ]) {
      expect(res).toMatchObject({
        status: 503,
        body: { error: { code: 'KILL_SWITCH', details: { reason: 'key_disabled' } } },
      });
    }
    expect(await fingerprint(h.t.db)).toEqual(before);
    expect((await h.call('GET', '/v1/credits', { key: second.apiKey })).status).toBe(200);
  });

  it('answers 503 KILL_SWITCH for every key of a disabled org until it is enabled again', async () => {
    const org = await h.newOrg({ prepaid: 500 });
    const second = await createApiKey(h.t.db, org.orgId);
    const { body } = await create(org, { projectId: org.projectId, format: 'auto' });
    await setOrganizationDisabled(h.t.db, org.orgId, true);
    const before = await fingerprint(h.t.db);
    for (const key of [org.apiKey, second.apiKey]) {
      for (const [method, path, json] of [
        ['GET', '/v1/whoami', undefined],
        ['GET', `/v1/generations/${body.generationId}`, undefined],
        ['POST', `/v1/generations/${body.generationId}/complete`, { actualCredits: 1 }],
      ] as const) {
        const res = await h.call(method, path, { key, json });
        expect(res, `${method} ${path}`).toMatchObject({
          status: 503,
          body: { error: { code: 'KILL_SWITCH', details: { reason: 'org_disabled' } } },
        });
      }
    }
    expect(await fingerprint(h.t.db)).toEqual(before);
    await setOrganizationDisabled(h.t.db, org.orgId, false);
    const done = await h.call('POST', `/v1/generations/${body.generationId}/complete`, {
      key: second.apiKey,
      json: { actualCredits: 1 },
    });
    expect(done.status).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a key has spent its burst, per key', async () => {
    const extra = await h.extraApi({ rateLimitPerSecond: 1, rateLimitBurst: 3 });
    const [a, b] = await Promise.all([h.newOrg({ prepaid: 500 }), h.newOrg({ prepaid: 500 })]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await callApi(extra.baseUrl, 'GET', '/v1/credits', { key: a.apiKey })).status);
    expect(statuses).toEqual([200, 200, 200]);
    const before = await fingerprint(h.t.db);
    const limited = await callApi(extra.baseUrl, 'POST', '/v1/generations', {
      key: a.apiKey,
      json: { projectId: a.projectId, format: 'auto' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await fingerprint(h.t.db)).toEqual(before);
    // Another key has its own bucket.
    expect((await callApi(extra.baseUrl, 'GET', '/v1/credits', { key: b.apiKey })).status).toBe(200);
    // The bucket refills at perSecond.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await callApi(extra.baseUrl, 'GET', '/v1/credits', { key: a.apiKey })).status).toBe(200);
  });

  it('limits an org across all its keys', async () => {
    // Refills too slow to matter while the test runs, however loaded the machine.
    const extra = await h.extraApi({
      rateLimitPerSecond: 0.001,
      rateLimitBurst: 3,
      orgRateLimitPerSecond: 0.001,
      orgRateLimitBurst: 4,
    });
    const org = await h.newOrg();
    const second = (await createApiKey(h.t.db, org.orgId)).apiKey;
    const get = (key: string) => callApi(extra.baseUrl, 'GET', '/v1/credits', { key });
    const statuses: number[] = [];
    for (const key of [org.apiKey, org.apiKey, second, second, second])
      statuses.push((await get(key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await get(second);
    expect(limited.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('organization'),
    });
    // Another org has a bucket of its own.
    expect((await get((await h.newOrg()).apiKey)).status).toBe(200);
  });

  it('bounds a key-guessing flood per client: 429 before any lookup once its failures are spent', async () => {
    const extra = await h.extraApi({ authFailuresPerSecond: 1, authFailureBurst: 3, trustProxy: true });
    const org = await h.newOrg();
    const guess = () => `lb_live_${randomUUID().replace(/-/g, '').slice(0, 16)}_${'x'.repeat(43)}`;
    const from = (ip: string, key: string) =>
      callApi(extra.baseUrl, 'GET', '/v1/credits', { key, headers: { 'x-forwarded-for': ip } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await from('203.0.113.7', guess())).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await from('203.0.113.7', guess());
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.body.error.message).toContain('failed authentications');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The limit is the guessing client's: another client, and its valid key, are unaffected.
    expect((await from('198.51.100.9', org.apiKey)).status).toBe(200);
    expect((await from('198.51.100.9', guess())).status).toBe(401);
    // Valid keys do not spend the budget.
    for (let i = 0; i < 5; i++) expect((await from('198.51.100.10', org.apiKey)).status).toBe(200);
  });
});
