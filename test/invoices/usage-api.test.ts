import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { USAGE_BODY_LIMIT_BYTES } from '../../src/api/routes/usage.schemas';
import { MAX_USAGE_EVENTS_PER_BATCH } from '../../src/invoices/usage-rules';
import type { ApiResponse, TestOrg } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startDbApi, type DbApi } from '../support/db-api';
import { makeOrg, makeOrgWithKey, NO_RATE_LIMITS } from '../support/fixtures';

/**
 * POST /v1/usage and GET /v1/usage over real HTTP and PostgreSQL, the API's clock pinned: batches
 * recorded once per key, every refusal proven to write nothing, a batch as one request to the rate
 * limit, and bodies larger than any other route's.
 */
let t: TestDatabase;
let api: DbApi;
const NOW = new Date('2026-03-10T12:00:00.000Z');

beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
  api = await startDbApi(t.db, { clock: () => NOW });
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

const AT = '2026-03-10T11:59:00Z';
const event = (idempotencyKey: string, over: Record<string, unknown> = {}) => ({
  metric: 'sdk_events',
  quantity: 10,
  occurredAt: AT,
  idempotencyKey,
  ...over,
});
const post = (o: TestOrg, json: unknown, baseApi = api) =>
  baseApi.call('POST', '/v1/usage', { key: o.apiKey, json });
const org = (tier = 'plus') => makeOrgWithKey(t.db, { tier });
async function orgFrom(anchor: Date): Promise<TestOrg> {
  const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', anchor });
  const { apiKey, prefix } = await createApiKey(t.db, orgId);
  return { orgId, projectId, apiKey, prefix };
}

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

const eventCount = async (orgId: string) =>
  Number(
    (
      await t.db
        .selectFrom('usage_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('POST /v1/usage', () => {
  it('records a batch (201), and answers its repeat with duplicates only (200)', async () => {
    const o = await org();
    const body = {
      events: [
        event('a'),
        event('b', { metric: 'workflow_runs', quantity: 2 }),
        event('c', { metric: 'media_storage_gb', quantity: 3 }),
      ],
    };
    const first = await post(o, body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ recorded: 3, duplicates: 0 });
    const again = await post(o, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ recorded: 0, duplicates: 3 });
    const more = await post(o, { events: [event('a'), event('d')] });
    expect([more.status, more.body]).toEqual([201, { recorded: 1, duplicates: 1 }]);
    expect(await eventCount(o.orgId)).toBe(4);
  });

  it('records each event once when 8 clients post the same batch at once', async () => {
    const o = await org();
    const body = {
      events: Array.from({ length: 300 }, (_, i) => event(`same-${i}`, { quantity: 1 + (i % 3) })),
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(o, body)));
    for (const a of answers) expect(a.body.recorded + a.body.duplicates).toBe(300);
    expect(answers.reduce((sum, a) => sum + a.body.recorded, 0)).toBe(300);
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(await eventCount(o.orgId)).toBe(300);
  });

  it('takes a thousand events with long keys in one request, larger than other routes’ bodies', async () => {
    const o = await org();
    const events = Array.from({ length: MAX_USAGE_EVENTS_PER_BATCH }, (_, i) =>
      event(`${i}-`.padEnd(255, 'k'), { occurredAt: '2026-03-10T11:59:00.123456789+00:00' }),
    );
    expect(JSON.stringify({ events }).length).toBeGreaterThan(256 * 1024);
    const res = await post(o, { events });
    expect([res.status, res.body]).toEqual([201, { recorded: MAX_USAGE_EVENTS_PER_BATCH, duplicates: 0 }]);
  });

  it('refuses a body over its limit with 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
    const o = await org();
    const res = await api.call('POST', '/v1/usage', {
      key: o.apiKey,
      raw: JSON.stringify({ events: [event('a')], pad: 'x'.repeat(USAGE_BODY_LIMIT_BYTES) }),
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error.details).toEqual({ limitBytes: USAGE_BODY_LIMIT_BYTES });
  });

  it.each([
    [
      'an unknown metric',
      { events: [event('a'), event('b', { metric: 'api_calls' })] },
      'UNKNOWN_METRIC',
      'body.events[1].metric',
    ],
    [
      'a quantity of 0',
      { events: [event('a', { quantity: 0 })] },
      'VALIDATION_FAILED',
      'body.events[0].quantity',
    ],
    [
      'a fractional quantity',
      { events: [event('a', { quantity: 2.5 })] },
      'VALIDATION_FAILED',
      'body.events[0].quantity',
    ],
    [
      'a quantity as text',
      { events: [event('a', { quantity: '3' })] },
      'VALIDATION_FAILED',
      'body.events[0].quantity',
    ],
    [
      'an occurredAt that is not a date-time',
      { events: [event('a', { occurredAt: '2026-02-30T00:00:00Z' })] },
      'VALIDATION_FAILED',
      'body.events[0].occurredAt',
    ],
    ['a key with a space', { events: [event('a b')] }, 'VALIDATION_FAILED', 'body.events[0].idempotencyKey'],
    [
      'an unknown field',
      { events: [event('a', { projectId: 'p' })] },
      'VALIDATION_FAILED',
      'body.events[0].projectId',
    ],
    ['no events', { events: [] }, 'VALIDATION_FAILED', 'body.events'],
    ['a single event outside a batch', event('a'), 'VALIDATION_FAILED', 'body.events'],
    [
      'one event more than a batch holds',
      { events: Array.from({ length: MAX_USAGE_EVENTS_PER_BATCH + 1 }, (_, i) => event(`k${i}`)) },
      'VALIDATION_FAILED',
      'body.events',
    ],
    [
      'an event 6 minutes ahead',
      { events: [event('a'), event('b', { occurredAt: '2026-03-10T12:06:00Z' })] },
      'OCCURRED_AT_OUT_OF_RANGE',
      'body.events[1].occurredAt',
    ],
    [
      'an event 36 days old',
      { events: [event('a', { occurredAt: '2026-02-02T12:00:00Z' })] },
      'OCCURRED_AT_OUT_OF_RANGE',
      'body.events[0].occurredAt',
    ],
  ])('refuses %s with 400 and its code, recording nothing of the batch', async (_n, body, code, path) => {
    const o = await org();
    const res = await post(o, body);
    expectError(res, 400, code);
    expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(path);
    expect(await eventCount(o.orgId)).toBe(0);
  });

  it('refuses malformed JSON with 400 MALFORMED_JSON', async () => {
    const o = await org();
    const res = await api.call('POST', '/v1/usage', {
      key: o.apiKey,
      raw: '{"events": [',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'MALFORMED_JSON');
  });

  it('refuses a recorded key with another body: 409 IDEMPOTENCY_KEY_REUSED, nothing of the batch recorded', async () => {
    const o = await org();
    await post(o, { events: [event('a')] });
    const res = await post(o, { events: [event('new'), event('a', { quantity: 11 })] });
    expectError(res, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(res.body.error.details).toEqual({ field: 'body.events[1].idempotencyKey', idempotencyKey: 'a' });
    expect(await eventCount(o.orgId)).toBe(1);
  });

  it('needs a valid key', async () => {
    const res = await api.call('POST', '/v1/usage', { key: 'lb_live_nope', json: { events: [event('a')] } });
    expectError(res, 401, 'UNAUTHENTICATED');
  });

  it('counts a batch of a thousand events as one request against the rate limit', async () => {
    const limited = await startDbApi(t.db, {
      clock: () => NOW,
      config: { ...NO_RATE_LIMITS, rateLimitPerSecond: 0.001, rateLimitBurst: 2 },
    });
    try {
      const o = await org();
      const batch = (n: number) => ({
        events: Array.from({ length: MAX_USAGE_EVENTS_PER_BATCH }, (_, i) => event(`b${n}-${i}`)),
      });
      expect((await post(o, batch(1), limited)).status).toBe(201);
      expect((await post(o, batch(2), limited)).status).toBe(201);
      expectError(await post(o, batch(3), limited), 429, 'RATE_LIMITED');
      expect(await eventCount(o.orgId)).toBe(2 * MAX_USAGE_EVENTS_PER_BATCH);
    } finally {
      await limited.close();
    }
  });
});

describe('GET /v1/usage', () => {
  it('shows the current period per metric against the tier’s allowance, and only the caller’s usage', async () => {
    // Opened on March 1st: its current credit period holds the API's pinned clock.
    const o = await orgFrom(new Date('2026-03-01T00:00:00Z'));
    const other = await orgFrom(new Date('2026-03-01T00:00:00Z'));
    await post(o, {
      events: [
        event('runs', { metric: 'workflow_runs', quantity: 1_001 }),
        event('gb1', { metric: 'media_storage_gb', quantity: 12, occurredAt: '2026-03-10T11:00:00Z' }),
        event('gb2', { metric: 'media_storage_gb', quantity: 4 }),
      ],
    });
    await post(other, { events: [event('runs', { metric: 'workflow_runs', quantity: 50_000 })] });
    const res = await api.call('GET', '/v1/usage', { key: o.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      organizationId: o.orgId,
      tier: 'plus',
      periodStart: '2026-03-01T00:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      totalCents: 2 + 50,
    });
    expect(
      res.body.lines.map((l: Record<string, unknown>) => [
        l.metric,
        l.used,
        l.allowance,
        l.overQuantity,
        l.amountCents,
      ]),
    ).toEqual([
      ['workflow_runs', 1_001, 1_000, 1, 2],
      ['sdk_events', 0, 100_000, 0, 0],
      ['media_storage_gb', 12, 10, 2, 50],
    ]);
    const earlier = await api.call('GET', '/v1/usage?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z', {
      key: o.apiKey,
    });
    expect(earlier.body.totalCents).toBe(0);
    expect(earlier.body.periodStart).toBe('2026-02-01T00:00:00.000Z');
  });

  it.each([
    ['a from that is not a date-time', '?from=yesterday'],
    ['a period that ends before it starts', '?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z'],
    ['an unknown parameter', '?metric=sdk_events'],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_n, query) => {
    const o = await org();
    expectError(await api.call('GET', `/v1/usage${query}`, { key: o.apiKey }), 400, 'VALIDATION_FAILED');
  });
});
