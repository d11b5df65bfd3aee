import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { localDay, nextLocalDayStart } from '../../src/wallet/days';
import { claimAutoTopUp, settleTopUp, type ClaimAutoTopUpResult } from '../../src/wallet/ledger';
import { autoTopUpDay, getWallet } from '../../src/wallet/wallets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeAgencyOrg } from './support';

// Guarantee 6: auto top-ups started in one local day never exceed the daily cap, whatever the timing.
let t: TestDatabase;
beforeAll(async () => {
  // Concurrent connections: up to 30 claims in PostgreSQL at once.
  t = await createTestDatabase({ max: 30 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const NY = 'America/New_York';
const CAP = 25_000;
const AMOUNTS = [1_000, 1_500, 2_000, 3_000, 5_000];

const settings = (timeZone = 'UTC') => ({
  floorCents: 0,
  timeZone,
  autoTopUp: { enabled: true, thresholdCents: 1_000_000, amountCents: 5_000, dailyCapCents: CAP },
});

/** Auto top-ups of the org started on `day` and not failed, from the table itself. */
async function startedOn(orgId: string, day: string): Promise<number> {
  const { rows } = await sql<{ total: number }>`
    SELECT coalesce(sum(amount_cents), 0)::bigint AS total FROM wallet_top_ups
     WHERE org_id = ${orgId} AND trigger = 'auto' AND status <> 'failed' AND local_day = ${day}`.execute(
    t.db,
  );
  return rows[0]!.total;
}

describe('200 concurrent auto-top-up claims', () => {
  it('never start more than the cap, and every refused claim would really have passed it', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: settings() });
    const base = new Date('2026-03-09T12:00:00Z');
    const claims = Array.from({ length: 200 }, (_, i) => ({
      at: new Date(base.getTime() + i), // 200 distinct decisions: 200 keys, one day
      amountCents: AMOUNTS[i % AMOUNTS.length]!,
    }));
    const results = await Promise.all(
      claims.map((c) => claimAutoTopUp(t.db, { orgId, localDay: '2026-03-09', ...c })),
    );
    const claimed = results.flatMap((r, i) => (r.status === 'claimed' ? [claims[i]!.amountCents] : []));
    const refused = results.flatMap((r, i) =>
      r.status === 'refused' ? [{ r, amount: claims[i]!.amountCents }] : [],
    );
    const used = claimed.reduce((s, a) => s + a, 0);

    expect(claimed.length).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(CAP);
    expect(await startedOn(orgId, '2026-03-09')).toBe(used);
    for (const { r, amount } of refused) {
      expect(r).toMatchObject({ reason: 'cap_exceeded', dailyCapCents: CAP });
      // Refused only when it did not fit at its turn; the day's total only grew after that.
      expect(r.usedTodayCents + amount).toBeGreaterThan(CAP);
      expect(used + amount).toBeGreaterThan(CAP);
    }
    // Each claim saw the total of the claims before it: the totals are a strictly increasing sequence.
    const totals = results
      .flatMap((r) => (r.status === 'claimed' ? [r.usedTodayCents] : []))
      .sort((a, b) => a - b);
    expect(new Set(totals).size).toBe(totals.length);
    expect(totals.at(-1)).toBe(used);
    expect(await getWallet(t.db, orgId)).toMatchObject({ pendingCents: used, balanceCents: 0 });
  });

  it('stay within the cap while other claims settle and fail concurrently, retries included', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: settings() });
    const base = new Date('2026-03-10T12:00:00Z');
    // Each worker claims, retries its claim (an activity retried after a lost answer), then settles it:
    // every other settlement fails (freeing its part of the cap for later claims), the rest succeed.
    let settlements = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const input = {
          orgId,
          localDay: '2026-03-10',
          amountCents: AMOUNTS[i % AMOUNTS.length]!,
          at: new Date(base.getTime() + i),
        };
        const first = await claimAutoTopUp(t.db, input);
        const retry = await claimAutoTopUp(t.db, input);
        if (first.status === 'claimed') {
          expect(retry).toMatchObject({
            status: 'claimed',
            duplicate: true,
            topUp: { key: first.topUp.key },
          });
        }
        // A claim refused at its turn may fit at its retry, once failures gave cap back.
        const claimed = first.status === 'claimed' ? first : retry;
        if (claimed.status !== 'claimed') return claimed;
        await settleTopUp(t.db, {
          orgId,
          topUpKey: claimed.topUp.key,
          outcome: settlements++ % 2 ? 'failed' : 'succeeded',
          at: new Date(input.at.getTime() + 1_000),
        });
        return claimed;
      }),
    );
    const succeeded = await sql<{ total: number; n: number }>`
      SELECT coalesce(sum(amount_cents), 0)::bigint AS total, count(*)::int AS n FROM wallet_top_ups
       WHERE org_id = ${orgId} AND status = 'succeeded'`.execute(t.db);
    const total = succeeded.rows[0]!.total;
    expect(total).toBeLessThanOrEqual(CAP);
    expect(await startedOn(orgId, '2026-03-10')).toBe(total);
    expect(await getWallet(t.db, orgId)).toMatchObject({ balanceCents: total, pendingCents: 0 });
    // At every claim, the day's total with it (pending and succeeded) was within the cap.
    const claimed = outcomes.filter((o: ClaimAutoTopUpResult) => o.status === 'claimed');
    for (const o of claimed) expect(o.usedTodayCents).toBeLessThanOrEqual(CAP);
    expect(settlements).toBe(claimed.length);
    expect(claimed.length - succeeded.rows[0]!.n).toBe(Math.floor(claimed.length / 2));
    // What failures handed back, and whatever else is left of the cap, can still be claimed, not a cent more.
    let at = new Date(base.getTime() + 60_000);
    while (
      (await claimAutoTopUp(t.db, { orgId, localDay: '2026-03-10', amountCents: 1_000, at })).status ===
      'claimed'
    ) {
      at = new Date(at.getTime() + 1);
    }
    const filled = await startedOn(orgId, '2026-03-10');
    expect(filled).toBeLessThanOrEqual(CAP);
    expect(filled + 1_000).toBeGreaterThan(CAP);
  });
});

describe('the day boundary in a DST time zone', () => {
  it('starts a new cap at local midnight of the 23-hour spring-forward day, not at UTC midnight', async () => {
    const { orgId } = await makeAgencyOrg(t.db, { settings: settings(NY) });
    const claimAt = (iso: string, amountCents = 5_000) => {
      const at = new Date(iso);
      return claimAutoTopUp(t.db, { orgId, localDay: localDay(at, NY), amountCents, at });
    };
    // 2026-03-08 in New York runs from 05:00Z (EST) to 04:00Z the next day (EDT): 23 hours.
    for (const iso of [
      '2026-03-08T05:00:00Z',
      '2026-03-08T06:59:59Z',
      '2026-03-08T07:00:00Z',
      '2026-03-08T23:00:00Z',
    ]) {
      expect(await claimAt(iso)).toMatchObject({ status: 'claimed', topUp: { localDay: '2026-03-08' } });
    }
    // UTC midnight has passed, New York's has not: still the 8th, and its cap has 5,000 left.
    expect(await claimAt('2026-03-09T00:30:00Z', 6_000)).toMatchObject({
      status: 'refused',
      reason: 'cap_exceeded',
      usedTodayCents: 20_000,
    });
    expect(await claimAt('2026-03-09T03:59:59Z')).toMatchObject({ status: 'claimed', usedTodayCents: CAP });
    expect(await claimAt('2026-03-09T03:59:59.500Z', 1_000)).toMatchObject({
      status: 'refused',
      reason: 'cap_exceeded',
    });
    // The next local day begins at 04:00Z, when the workflow's timer (nextLocalDayStart) fires.
    const next = nextLocalDayStart(new Date('2026-03-09T03:59:59Z'), NY);
    expect(next.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(await claimAt(next.toISOString())).toMatchObject({
      status: 'claimed',
      usedTodayCents: 5_000,
      topUp: { localDay: '2026-03-09' },
    });
    expect(await autoTopUpDay(t.db, orgId, '2026-03-08')).toEqual({ usedCents: CAP, inFlight: true });
    expect(await autoTopUpDay(t.db, orgId, '2026-03-09')).toEqual({ usedCents: 5_000, inFlight: true });
    // PostgreSQL agrees with Intl about the day: a claim naming the UTC day instead is refused.
    await expect(
      claimAutoTopUp(t.db, {
        orgId,
        localDay: '2026-03-09',
        amountCents: 1_000,
        at: new Date('2026-03-09T03:00:00Z'),
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
