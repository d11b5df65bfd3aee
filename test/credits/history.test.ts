import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import {
  captureCredits,
  getCreditsSnapshot,
  grantCredits,
  releaseCredits,
  reserveCredits,
} from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { createProject } from '../../src/orgs/orgs';
import type { ApiResponse } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startDbApi, type DbApi } from '../support/db-api';
import { makeOrg } from '../support/fixtures';

/**
 * GET /v1/credits/history over real HTTP and PostgreSQL: the credit ledger as the org's billing history,
 * each row with the balance after it, right on every page and under every filter; another org's key
 * sees nothing of it; bad filters are refused.
 */
let t: TestDatabase;
let api: DbApi;
beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
  api = await startDbApi(t.db);
});
afterAll(async () => {
  expect(await findDrift(t.db)).toEqual([]);
  await api?.close();
  await t?.close();
});

const JAN_1 = new Date('2026-01-01T00:00:00Z');
const FEB_1 = new Date('2026-02-01T00:00:00Z');
const MAR_1 = new Date('2026-03-01T00:00:00Z');

interface Entry {
  id: number;
  entryType: string;
  key: string;
  credits: number;
  reservedDelta: number;
  balanceAfter: number;
  reservedAfter: number;
  usedDelta: number;
  overageDelta: number;
  projectId: string | null;
  generationId: string | null;
  effectiveAt: string;
}

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

/**
 * A plus org (100 included) with 500 prepaid and two projects: a capture on A, a hold released on B,
 * January closed, then a capture on B beyond its hold and a hold still running on A.
 */
async function withHistory() {
  const { orgId, projectId: a } = await makeOrg(t.db, { tier: 'plus', anchor: JAN_1 });
  const { projectId: b } = await createProject(t.db, orgId, 'B');
  const { apiKey } = await createApiKey(t.db, orgId);
  await grantCredits(t.db, { orgId, bucket: 'prepaid', credits: 500, idempotencyKey: `pack:${orgId}` });
  const gen = async (projectId: string, format: string) => {
    const generationId = newId('gen');
    const r = await reserveCredits(t.db, { orgId, projectId, generationId, format });
    expect(r.status).toBe('reserved');
    return generationId;
  };
  const a1 = await gen(a, 'video_remix'); // holds 120
  await captureCredits(t.db, { orgId, generationId: a1, actualCredits: 100 });
  const b1 = await gen(b, 'slideshow_builder'); // holds 50
  await releaseCredits(t.db, { orgId, generationId: b1, kind: 'release', reason: 'failed' });
  await closeCreditPeriod(t.db, {
    orgId,
    periodStart: JAN_1,
    at: FEB_1,
    nextPeriodEnd: MAR_1,
    allowance: 100,
    rollover: { days: 30, cap: 100 },
  });
  const b2 = await gen(b, 'video_remix'); // holds 120
  await captureCredits(t.db, { orgId, generationId: b2, actualCredits: 150 });
  const a2 = await gen(a, 'slideshow_builder'); // holds 50, still running
  return { orgId, apiKey, a, b, a1, b1, b2, a2 };
}

const list = async (apiKey: string, query = ''): Promise<Entry[]> => {
  const res = await api.call('GET', `/v1/credits/history${query}`, { key: apiKey });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
};

/** Each row's balance is the next (older) row's plus its own move; the same for holds. */
function expectChained(rows: Entry[]) {
  for (let i = 0; i < rows.length - 1; i++) {
    expect(rows[i]!.balanceAfter - rows[i]!.credits).toBe(rows[i + 1]!.balanceAfter);
    expect(rows[i]!.reservedAfter - rows[i]!.reservedDelta).toBe(rows[i + 1]!.reservedAfter);
  }
}

describe('GET /v1/credits/history', () => {
  it('lists the ledger newest first, each row with its key, moves and the balance after it', async () => {
    const h = await withHistory();
    const rows = await list(h.apiKey);
    expect(
      rows.map((r) => [r.entryType, r.credits, r.reservedDelta, r.balanceAfter, r.reservedAfter]),
    ).toEqual([
      ['reserve', 0, 50, 450, 50],
      // 150 charged against the 120 held: the balance pays all of it.
      ['capture', -150, -120, 450, 0],
      ['reserve', 0, 120, 600, 120],
      // January closes with 0 of its 100 included left: February's 100 granted, nothing to roll over.
      ['period_close', 100, 0, 600, 0],
      ['release', 0, -50, 500, 0],
      ['reserve', 0, 50, 500, 50],
      // 100 of the 120 held: the whole included allowance.
      ['capture', -100, -120, 500, 0],
      ['reserve', 0, 120, 600, 120],
      ['grant_prepaid', 500, 0, 600, 0],
      ['grant_included', 100, 0, 100, 0],
    ]);
    expectChained(rows);
    // The newest row's balance is the org's balance now; the oldest started from nothing.
    const now = await getCreditsSnapshot(t.db, h.orgId);
    expect([rows[0]!.balanceAfter, rows[0]!.reservedAfter]).toEqual([now.balance, now.reservedCredits]);
    expect(rows.at(-1)!.balanceAfter).toBe(rows.at(-1)!.credits);
    expect(rows[1]).toMatchObject({
      entryType: 'capture',
      projectId: h.b,
      generationId: h.b2,
      usedDelta: 150,
      overageDelta: 0,
      key: expect.stringContaining(h.b2),
    });
    expect(rows[3]).toMatchObject({ effectiveAt: FEB_1.toISOString(), usedDelta: -100, projectId: null });
  });

  it('pages with the cursor: the pages are the whole history, balances chained across them', async () => {
    const h = await withHistory();
    const all = await list(h.apiKey);
    const paged: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.call('GET', `/v1/credits/history?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        key: h.apiKey,
      });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      paged.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expectChained(paged);
  });

  it('filters by project, generation, entry type and effective time, keeping each row’s balance in the whole ledger', async () => {
    const h = await withHistory();
    const all = await list(h.apiKey);
    const byId = new Map(all.map((r) => [r.id, r]));
    const onB = await list(h.apiKey, `?projectId=${h.b}`);
    expect(onB.map((r) => [r.entryType, r.generationId])).toEqual([
      ['capture', h.b2],
      ['reserve', h.b2],
      ['release', h.b1],
      ['reserve', h.b1],
    ]);
    // A filtered row is the same row, with the balance the whole ledger had after it.
    for (const r of onB) expect(r).toEqual(byId.get(r.id));
    expect(onB[0]!.balanceAfter).toBe(450);

    const one = await list(h.apiKey, `?generationId=${h.a1}`);
    expect(one.map((r) => [r.entryType, r.credits, r.balanceAfter])).toEqual([
      ['capture', -100, 500],
      ['reserve', 0, 600],
    ]);
    const captures = await list(h.apiKey, '?entryType=capture');
    expect(captures.map((r) => r.credits)).toEqual([-150, -100]);
    const january = await list(h.apiKey, '?from=2026-01-15T00:00:00Z&to=2026-02-15T00:00:00Z');
    expect(january.map((r) => r.entryType)).toEqual(['period_close']);
    // `to` is exclusive: the close at February 1st is not before it.
    expect(await list(h.apiKey, '?to=2026-02-01T00:00:00Z')).toEqual([]);

    // Filtered pages chain through the cursor too.
    const first = await api.call('GET', `/v1/credits/history?projectId=${h.b}&limit=3`, { key: h.apiKey });
    expect(first.body.data).toEqual(onB.slice(0, 3));
    const second = await api.call(
      'GET',
      `/v1/credits/history?projectId=${h.b}&limit=3&cursor=${first.body.nextCursor}`,
      { key: h.apiKey },
    );
    expect(second.body).toEqual({ data: onB.slice(3), nextCursor: null });
  });

  it('shows another org nothing of this one’s ledger, whatever it filters by', async () => {
    const h = await withHistory();
    const other = await makeOrg(t.db, { tier: 'plus' });
    const { apiKey } = await createApiKey(t.db, other.orgId);
    const theirs = await list(apiKey);
    expect(theirs.map((r) => r.entryType)).toEqual(['grant_included']);
    expect(await list(apiKey, `?projectId=${h.a}`)).toEqual([]);
    expect(await list(apiKey, `?generationId=${h.a1}`)).toEqual([]);
    // A cursor from this org's pages only positions the other org's own rows.
    const mine = await api.call('GET', '/v1/credits/history?limit=1', { key: h.apiKey });
    expect(await list(apiKey, `?cursor=${Number(mine.body.nextCursor) + 1000}`)).toEqual(theirs);
  });

  it.each([
    ['an unknown entry type', '?entryType=refund'],
    ['a cursor it never gave', '?cursor=abc'],
    ['a cursor of 0', '?cursor=0'],
    ['a limit of 0', '?limit=0'],
    ['a limit past the maximum', '?limit=101'],
    ['a fractional limit', '?limit=1.5'],
    ['a from that is not a date-time', '?from=yesterday'],
    ['a blank project', '?projectId=%20'],
    ['an unknown filter', '?platform=meta'],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_n, query) => {
    const { orgId } = await makeOrg(t.db);
    const { apiKey } = await createApiKey(t.db, orgId);
    expectError(
      await api.call('GET', `/v1/credits/history${query}`, { key: apiKey }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('needs a valid key', async () => {
    expectError(await api.call('GET', '/v1/credits/history'), 401, 'UNAUTHENTICATED');
  });
});
