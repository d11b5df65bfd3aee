import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { localDay } from '../../src/wallet/days';
import { findWalletDrift } from '../../src/wallet/reconcile';
import type { ApiResponse } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { callAsSession, signIn } from '../support/dashboard';
import { startDbApi, type DbApi } from '../support/db-api';
import { fingerprint } from '../support/fixtures';
import { agencyQuarter, APR_1, generate, type Issued } from './invoice-support';

/**
 * The API data the dashboard's charts need beyond the existing routes, over real HTTP and PostgreSQL:
 * GET /v1/credits/usage (the credit period's usage per day and project) and GET /v1/wallet/spend-summary
 * (ad spend per platform, project and day). Each breakdown is held to the same rows summed in plain SQL,
 * and to the totals other routes answer; another org sees none of it; bad windows are refused.
 */
let t: TestDatabase;
/** The API at a pinned clock inside the agency's open April period. */
let pinned: DbApi;
/** The API at the wall clock. */
let live: DbApi;
const NOW = new Date('2026-04-10T12:00:00Z');
let agency: Issued;
let springId: string;

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
  [pinned, live] = await Promise.all([startDbApi(t.db, { clock: () => NOW }), startDbApi(t.db)]);
  agency = await agencyQuarter(t.db);
  springId = (
    await t.db
      .selectFrom('projects')
      .select('id')
      .where('org_id', '=', agency.orgId)
      .where('name', '=', 'Spring launch')
      .executeTakeFirstOrThrow()
  ).id;
}, 60_000);

afterAll(async () => {
  if (t) {
    expect(await findDrift(t.db)).toEqual([]);
    expect(await findWalletDrift(t.db)).toEqual([]);
  }
  await Promise.all([pinned?.close(), live?.close()]);
  await t?.close();
});

describe('GET /v1/credits/usage', () => {
  it("adds up to the period's usedThisPeriod, per project and per day of the org's time zone", async () => {
    const org = await createOrganization(t.db, { name: 'Usage Co', tier: 'pro', mode: 'agency' });
    const second = (await createProject(t.db, org.orgId, 'Second')).projectId;
    // Far east: its local day is often not UTC's, so the days must be the zone's.
    await t.db
      .updateTable('wallets')
      .set({ time_zone: 'Pacific/Kiritimati' })
      .where('org_id', '=', org.orgId)
      .execute();
    await generate(t.db, org.orgId, [
      [org.projectId, 40],
      [second, 25],
      [org.projectId, 5],
    ]);
    const { apiKey } = await createApiKey(t.db, org.orgId);
    const res = await live.call('GET', '/v1/credits/usage', { key: apiKey });
    expect(res.status).toBe(200);
    const credits = (await live.call('GET', '/v1/credits', { key: apiKey })).body;
    expect(res.body).toMatchObject({
      periodStart: credits.currentPeriod.start,
      periodEnd: credits.currentPeriod.end,
      timeZone: 'Pacific/Kiritimati',
      totalCredits: 70,
      byProject: [
        { projectId: org.projectId, projectName: expect.any(String), credits: 45 },
        { projectId: second, projectName: 'Second', credits: 25 },
      ],
    });
    expect(res.body.totalCredits).toBe(credits.usedThisPeriod);
    const days: { date: string; credits: number }[] = res.body.byDay;
    expect(days.at(-1)).toEqual({ date: localDay(new Date(), 'Pacific/Kiritimati'), credits: 70 });
    expect(days[0]!.date).toBe(localDay(new Date(credits.currentPeriod.start), 'Pacific/Kiritimati'));
    expect(days.reduce((sum, d) => sum + d.credits, 0)).toBe(70);
  });

  it('counts only the open period (after the last close), with every day of it so far', async () => {
    const res = await pinned.call('GET', '/v1/credits/usage', { key: agency.apiKey });
    expect(res.status).toBe(200);
    // The open April: two captures of 600 on the spring project (January's to March's are invoiced).
    const { rows } = await sql<{ used: string }>`
      SELECT sum(used_delta) AS used FROM credit_ledger
       WHERE org_id = ${agency.orgId} AND entry_type = 'capture'
         AND id > (SELECT max(id) FROM credit_ledger WHERE org_id = ${agency.orgId} AND entry_type = 'period_close')`.execute(
      t.db,
    );
    expect(Number(rows[0]!.used)).toBe(1200);
    expect(res.body).toMatchObject({
      periodStart: APR_1.toISOString(),
      timeZone: 'UTC',
      totalCredits: 1200,
      byProject: [{ projectId: springId, projectName: 'Spring launch', credits: 1200 }],
    });
    const days: { date: string; credits: number }[] = res.body.byDay;
    // April 1 to the API's "today" (April 10), each 0: the captures were recorded at the wall clock,
    // which this pinned clock is not, and still show on the day they were recorded.
    const april = days.filter((d) => d.date.startsWith('2026-04-'));
    expect(april.map((d) => d.date)).toEqual(
      Array.from({ length: 10 }, (_, i) => `2026-04-${String(i + 1).padStart(2, '0')}`),
    );
    expect(april.every((d) => d.credits === 0)).toBe(true);
    expect(days.reduce((sum, d) => sum + d.credits, 0)).toBe(1200);
    expect(days.map((d) => d.date)).toEqual([...days.map((d) => d.date)].sort());
  });

  it("shows another org nothing of this one's, and is the same through a dashboard session", async () => {
    const other = await createOrganization(t.db, { name: 'Quiet Co', tier: 'plus' });
    const key = await createApiKey(t.db, other.orgId, { scopes: ['dashboard'] });
    const res = await live.call('GET', '/v1/credits/usage', { key: key.apiKey });
    expect(res.body).toMatchObject({ timeZone: 'UTC', totalCredits: 0, byProject: [] });
    expect(res.body.byDay.every((d: { credits: number }) => d.credits === 0)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(agency.orgId);
    const session = await signIn(live.baseUrl, key.apiKey);
    expect((await callAsSession(live.baseUrl, session, 'GET', '/v1/credits/usage')).body).toEqual(res.body);
  });

  it('takes no parameters: an unknown one is 400 and reads nothing else', async () => {
    expectError(
      await live.call('GET', '/v1/credits/usage?projectId=x', { key: agency.apiKey }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await live.call('GET', '/v1/credits/usage'), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /v1/wallet/spend-summary', () => {
  /** The bills of [from, to) summed in plain SQL, per platform and per project. */
  async function expected(from: Date, to: Date) {
    const { rows } = await sql<{ platform: string; project_id: string; spend: string; fee: string }>`
      SELECT platform, project_id, sum(spend_cents) AS spend, sum(fee_cents) AS fee FROM wallet_debits
       WHERE org_id = ${agency.orgId} AND occurred_at >= ${from} AND occurred_at < ${to}
       GROUP BY 1, 2`.execute(t.db);
    const sum = (pick: (r: (typeof rows)[number]) => boolean) => ({
      spendCents: rows.filter(pick).reduce((s, r) => s + Number(r.spend), 0),
      feeCents: rows.filter(pick).reduce((s, r) => s + Number(r.fee), 0),
    });
    return { sum, rows };
  }

  it('breaks a window down by platform, project and day, each adding up to the same totals', async () => {
    const from = '2026-01-01T00:00:00Z';
    const res = await pinned.call('GET', `/v1/wallet/spend-summary?from=${from}&to=2026-04-10T12:00:00Z`, {
      key: agency.apiKey,
    });
    expect(res.status).toBe(200);
    const { sum } = await expected(new Date(from), NOW);
    const totals = sum(() => true);
    // The fixture's four bills: meta 120.00 + 9.99, google 45.67 + 30.00, each with its platform fee.
    expect(totals.spendCents).toBe(120_00 + 45_67 + 9_99 + 30_00);
    expect(totals.feeCents).toBeGreaterThan(0);
    expect(res.body).toMatchObject({
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-04-10T12:00:00.000Z',
      timeZone: 'UTC',
      totals,
      byPlatform: [
        { platform: 'meta', ...sum((r) => r.platform === 'meta') },
        { platform: 'google', ...sum((r) => r.platform === 'google') },
      ],
      byProject: [
        { projectId: agency.projectId, ...sum((r) => r.project_id === agency.projectId) },
        { projectId: springId, projectName: 'Spring launch', ...sum((r) => r.project_id === springId) },
      ],
    });
    const days: { date: string; spendCents: number; feeCents: number }[] = res.body.byDay;
    expect(days).toHaveLength(31 + 28 + 31 + 10);
    expect(days[0]!.date).toBe('2026-01-01');
    expect(days.at(-1)!.date).toBe('2026-04-10');
    expect(days.find((d) => d.date === '2026-01-04')!.spendCents).toBe(120_00);
    expect(days.find((d) => d.date === '2026-04-05')!.spendCents).toBe(30_00);
    expect(days.reduce((s, d) => s + d.spendCents, 0)).toBe(totals.spendCents);
    expect(days.reduce((s, d) => s + d.feeCents, 0)).toBe(totals.feeCents);
  });

  it('defaults to the 30 days before now, and counts days in the wallet’s time zone', async () => {
    const res = await pinned.call('GET', '/v1/wallet/spend-summary', { key: agency.apiKey });
    expect(res.body).toMatchObject({
      from: '2026-03-11T12:00:00.000Z',
      to: NOW.toISOString(),
      totals: { spendCents: 30_00 },
      byPlatform: [{ platform: 'google', spendCents: 30_00 }],
    });
    expect(res.body.byDay).toHaveLength(31); // 11 March to 10 April, both touched
    // The April bill occurred at 00:00 UTC on 5 April: still the 4th in Los Angeles.
    await t.db
      .updateTable('wallets')
      .set({ time_zone: 'America/Los_Angeles' })
      .where('org_id', '=', agency.orgId)
      .execute();
    try {
      const la = await pinned.call('GET', '/v1/wallet/spend-summary', { key: agency.apiKey });
      expect(la.body.timeZone).toBe('America/Los_Angeles');
      const day = (date: string) => la.body.byDay.find((d: { date: string }) => d.date === date);
      expect(day('2026-04-04').spendCents).toBe(30_00);
      expect(day('2026-04-05').spendCents).toBe(0);
    } finally {
      await t.db
        .updateTable('wallets')
        .set({ time_zone: 'UTC' })
        .where('org_id', '=', agency.orgId)
        .execute();
    }
  });

  it('refuses an empty, reversed or too long window and malformed dates with 400, writing nothing', async () => {
    const before = await fingerprint(t.db);
    const bad = [
      '?from=2026-04-01T00:00:00Z&to=2026-04-01T00:00:00Z',
      '?from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z',
      '?from=2025-01-01T00:00:00Z&to=2026-04-01T00:00:00Z',
      '?from=2026-05-01T00:00:00Z',
      '?from=yesterday',
      '?to=2026-04-01',
      '?platform=meta',
    ];
    for (const query of bad) {
      const res = await pinned.call('GET', `/v1/wallet/spend-summary${query}`, { key: agency.apiKey });
      expectError(res, 400, 'VALIDATION_FAILED');
    }
    const reversed = await pinned.call(
      'GET',
      '/v1/wallet/spend-summary?from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z',
      { key: agency.apiKey },
    );
    expect(reversed.body.error.details.fields).toEqual([{ path: 'query.to', message: expect.any(String) }]);
    // 366 days exactly is allowed.
    const year = await pinned.call(
      'GET',
      '/v1/wallet/spend-summary?from=2025-04-09T12:00:00Z&to=2026-04-10T12:00:00Z',
      { key: agency.apiKey },
    );
    expect(year.status).toBe(200);
    expect(year.body.byDay).toHaveLength(367);
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it("answers a BYO org 409 WALLET_NOT_AVAILABLE, and another agency org none of this one's bills", async () => {
    const byo = await createOrganization(t.db, { name: 'Byo Co', tier: 'plus', mode: 'byo' });
    const byoKey = (await createApiKey(t.db, byo.orgId)).apiKey;
    expectError(
      await live.call('GET', '/v1/wallet/spend-summary', { key: byoKey }),
      409,
      'WALLET_NOT_AVAILABLE',
    );
    const other = await createOrganization(t.db, { name: 'Other Agency', tier: 'pro', mode: 'agency' });
    const otherKey = (await createApiKey(t.db, other.orgId)).apiKey;
    const res = await pinned.call('GET', '/v1/wallet/spend-summary?from=2026-01-01T00:00:00Z', {
      key: otherKey,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totals: { spendCents: 0, feeCents: 0 }, byPlatform: [], byProject: [] });
    expect(JSON.stringify(res.body)).not.toContain(agency.projectId);
  });
});
