import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pendingExpiryKey, settleKey } from '../../src/credits/ids';
import { captureCredits, getCreditsSnapshot, releaseCredits, reserveCredits } from '../../src/credits/ledger';
import {
  closeCreditPeriod,
  expireRolloverGrants,
  revokeIncludedCredits,
  setIncludedAllowance,
} from '../../src/credits/periods';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { balanceOf, expectConserved, expectSoundBalance, ledgerRows } from './period-support';

/**
 * Holds across the boundary (issue 9): credits held by running generations when a period closes, a
 * rollover grant expires, the allowance drops or the subscription pauses stay theirs. The held part of
 * what expires stays in the balance as pending_expiry; a capture spends it first, and a hold that ends
 * without using it lets it expire then, with its own ledger row.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 40 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const JAN_1 = new Date('2026-01-01T00:00:00Z');
const FEB_1 = new Date('2026-02-01T00:00:00Z');
const MAR_1 = new Date('2026-03-01T00:00:00Z');
const APR_1 = new Date('2026-04-01T00:00:00Z');

const hold = async (orgId: string, projectId: string, format = 'video_remix') => {
  const generationId = newId('gen');
  const r = await reserveCredits(t.db, { orgId, projectId, generationId, format });
  expect(r.status).toBe('reserved');
  return generationId;
};

const closeJanuary = (orgId: string, rollover = { days: 0, cap: 0 }, allowance = 1000) =>
  closeCreditPeriod(t.db, {
    orgId,
    periodStart: JAN_1,
    at: FEB_1,
    nextPeriodEnd: MAR_1,
    allowance,
    rollover,
  });

describe('a hold across a period close', () => {
  it('keeps the held credits; released after the close, they expire then with their own row', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const gen = await hold(orgId, projectId); // 120 of January's 1000

    const closed = await closeJanuary(orgId);
    expect(closed.period).toMatchObject({ expiredCredits: 880, heldAtClose: 120, rolledOverOut: 0 });
    expect(closed.credits).toMatchObject({
      includedRemaining: 1120,
      reservedCredits: 120,
      balance: 1120,
      available: 1000,
      includedThisPeriod: 1000,
    });
    expect(await balanceOf(t.db, orgId)).toMatchObject({ pending_expiry: 120, included_remaining: 1000 });

    const released = await releaseCredits(t.db, {
      orgId,
      generationId: gen,
      kind: 'release',
      reason: 'failed',
    });
    expect(released).toMatchObject({ releasedCredits: 120, expiredCredits: 120 });
    expect(released.credits).toMatchObject({ includedRemaining: 1000, reservedCredits: 0, available: 1000 });
    expect((await ledgerRows(t.db, orgId)).slice(-2)).toMatchObject([
      {
        entry_type: 'release',
        idempotency_key: settleKey(gen),
        reserved_delta: -120,
        pending_expiry_delta: 0,
      },
      {
        entry_type: 'expire_pending',
        idempotency_key: pendingExpiryKey(gen),
        generation_id: gen,
        pending_expiry_delta: -120,
        expired_delta: 120,
      },
    ]);
    // A repeated release answers the same and writes nothing more.
    const rows = (await ledgerRows(t.db, orgId)).length;
    expect(
      await releaseCredits(t.db, { orgId, generationId: gen, kind: 'release', reason: 'failed' }),
    ).toMatchObject({ duplicate: true, expiredCredits: 120 });
    expect(await ledgerRows(t.db, orgId)).toHaveLength(rows);

    // The expiry belongs to the period it happened in.
    const next = await closeCreditPeriod(t.db, {
      orgId,
      periodStart: FEB_1,
      at: MAR_1,
      nextPeriodEnd: APR_1,
      allowance: 1000,
      rollover: { days: 0, cap: 0 },
    });
    expect(next.period).toMatchObject({ expiredCredits: 1120, heldAtClose: 0 });
    await expectConserved(t.db, orgId);
  });

  it('lets the capture after the close spend the held credits first; the unused rest expires', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const gen = await hold(orgId, projectId);
    await closeJanuary(orgId);
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 100 });
    expect(c.charge).toEqual({
      actual: 100,
      hold: 120,
      fromPendingExpiry: 100,
      fromRolledOver: 0,
      fromIncluded: 0,
      fromPrepaid: 0,
      overage: 0,
      writtenOff: 0,
      released: 20,
      pendingExpired: 20,
    });
    expect(c.credits).toMatchObject({ includedRemaining: 1000, usedThisPeriod: 100, available: 1000 });
    expect((await ledgerRows(t.db, orgId)).at(-1)).toMatchObject({
      entry_type: 'expire_pending',
      idempotency_key: pendingExpiryKey(gen),
      expired_delta: 20,
    });
    const again = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 100 });
    expect(again).toMatchObject({ duplicate: true, charge: c.charge });
    await expectConserved(t.db, orgId);
  });

  it('charges a capture above the hold from the held credits, then the new period’s', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const gen = await hold(orgId, projectId);
    await closeJanuary(orgId);
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 300 });
    expect(c.charge).toMatchObject({ fromPendingExpiry: 120, fromIncluded: 180, pendingExpired: 0 });
    expect(c.credits).toMatchObject({ includedRemaining: 820 });
    await expectConserved(t.db, orgId);
  });

  it('holds in the rolled-over part when everything rolls over: nothing is pending', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const gen = await hold(orgId, projectId);
    const closed = await closeJanuary(orgId, { days: 30, cap: 1000 });
    expect(closed.period).toMatchObject({ rolledOverOut: 1000, expiredCredits: 0, heldAtClose: 0 });
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 100 });
    expect(c.charge).toMatchObject({ fromPendingExpiry: 0, fromRolledOver: 100, pendingExpired: 0 });
    expect(c.credits).toMatchObject({ rolledOverCredits: 900, includedRemaining: 1900 });
  });

  it('puts the holds in what expires first when only part rolls over', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const gen = await hold(orgId, projectId);
    // 950 roll over, 50 would expire: the hold sits in those 50.
    const closed = await closeJanuary(orgId, { days: 30, cap: 950 });
    expect(closed.period).toMatchObject({ rolledOverOut: 950, expiredCredits: 0, heldAtClose: 50 });
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 10 });
    expect(c.charge).toMatchObject({ fromPendingExpiry: 10, fromRolledOver: 0, pendingExpired: 40 });
    expect(c.credits).toMatchObject({ rolledOverCredits: 950, includedRemaining: 1950 });
    await expectConserved(t.db, orgId);
  });

  it('adds to pending credits at a second close only what the new holds need', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    const first = await hold(orgId, projectId); // 120
    await closeJanuary(orgId); // pending 120
    const second = await hold(orgId, projectId, 'slideshow_builder'); // 50 more
    const closed = await closeCreditPeriod(t.db, {
      orgId,
      periodStart: FEB_1,
      at: MAR_1,
      nextPeriodEnd: APR_1,
      allowance: 1000,
      rollover: { days: 0, cap: 0 },
    });
    expect(closed.period).toMatchObject({ heldAtClose: 50, expiredCredits: 950 });
    expect(await expectSoundBalance(t.db, orgId)).toMatchObject({
      pending_expiry: 170,
      reserved_credits: 170,
    });
    expect(await releaseCredits(t.db, { orgId, generationId: second, kind: 'expire' })).toMatchObject({
      expiredCredits: 50,
    });
    expect(await releaseCredits(t.db, { orgId, generationId: first, kind: 'release' })).toMatchObject({
      expiredCredits: 120,
    });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({
      includedRemaining: 1000,
      reservedCredits: 0,
    });
    await expectConserved(t.db, orgId);
  });

  it('leaves prepaid credits held across a close alone: they never expire', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'free', anchor: JAN_1, prepaid: 200 });
    // Free: no allowance; 200 prepaid never expire, so nothing is pending.
    const gen = await hold(orgId, projectId);
    const closed = await closeJanuary(orgId, { days: 0, cap: 0 }, 0);
    expect(closed.period).toMatchObject({ heldAtClose: 0, expiredCredits: 0 });
    expect(closed.credits).toMatchObject({ balance: 200, reservedCredits: 120, available: 80 });
    await releaseCredits(t.db, { orgId, generationId: gen, kind: 'release' });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({ balance: 200, available: 200 });
  });
});

describe('a hold when a rollover grant expires between closes', () => {
  it('keeps the held part as pending until the hold ends', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    await closeJanuary(orgId, { days: 30, cap: 1000 }); // 1000 roll over, expiring 3 March
    await captureCredits(t.db, {
      orgId,
      generationId: await hold(orgId, projectId, 'slideshow_builder'),
      actualCredits: 1000,
    }); // spends the grant; February's 1000 are untouched
    await closeCreditPeriod(t.db, {
      orgId,
      periodStart: FEB_1,
      at: MAR_1,
      nextPeriodEnd: APR_1,
      allowance: 1000,
      rollover: { days: 30, cap: 1000 },
    }); // 1000 roll over again, expiring 31 March
    const gen = await hold(orgId, projectId); // 120: in the grant, which expires first
    const due = new Date('2026-03-31T00:00:00Z');
    const r = await expireRolloverGrants(t.db, { orgId, at: due });
    expect(r).toMatchObject({ expiredCredits: 880, heldCredits: 120 });
    expect(r.credits).toMatchObject({
      rolledOverCredits: 0,
      includedRemaining: 1120,
      reservedCredits: 120,
      available: 1000,
    });
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 200 });
    expect(c.charge).toMatchObject({ fromPendingExpiry: 120, fromIncluded: 80, pendingExpired: 0 });
    const next = await closeCreditPeriod(t.db, {
      orgId,
      periodStart: MAR_1,
      at: APR_1,
      nextPeriodEnd: new Date('2026-05-01T00:00:00Z'),
      allowance: 1000,
      rollover: { days: 30, cap: 1000 },
    });
    expect(next.period).toMatchObject({ rolloverExpired: 880, expiredCredits: 880, usedCredits: 200 });
    await expectConserved(t.db, orgId);
  });
});

describe('a hold when the allowance drops or is revoked', () => {
  it('a downgrade now never takes held credits', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1 });
    await captureCredits(t.db, {
      orgId,
      generationId: await hold(orgId, projectId, 'slideshow_builder'),
      actualCredits: 300,
    });
    const gen = await hold(orgId, projectId); // 120 of the 700 left
    const at = new Date('2026-01-15T00:00:00Z');
    const down = await setIncludedAllowance(t.db, { orgId, allowance: 400, changeId: 'down', at });
    expect(down).toMatchObject({ expiredCredits: 480, heldCredits: 120 });
    expect(down.credits).toMatchObject({ includedRemaining: 220, reservedCredits: 120, available: 100 });
    const c = await captureCredits(t.db, { orgId, generationId: gen, actualCredits: 120 });
    expect(c.charge).toMatchObject({ fromPendingExpiry: 120, fromIncluded: 0 });
    expect(c.credits).toMatchObject({ includedRemaining: 100, available: 100 });
    await expectConserved(t.db, orgId);
  });

  it('a pause keeps what running generations hold; it expires when they end unused', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_1, prepaid: 200 });
    const gen = await hold(orgId, projectId);
    const at = new Date('2026-01-20T00:00:00Z');
    const r = await revokeIncludedCredits(t.db, { orgId, changeId: 'pause', at });
    expect(r).toMatchObject({ expiredCredits: 880, heldCredits: 120 });
    expect(r.credits).toMatchObject({ includedRemaining: 120, prepaidBalance: 200, available: 200 });
    // The paused period closes with no allowance: the pending credits stay, nothing more expires.
    const closed = await closeJanuary(orgId, { days: 30, cap: 1000 }, 0);
    expect(closed.period).toMatchObject({ heldAtClose: 0, rolledOverOut: 0, expiredCredits: 880 });
    expect(await releaseCredits(t.db, { orgId, generationId: gen, kind: 'expire' })).toMatchObject({
      expiredCredits: 120,
      credits: { includedRemaining: 0, balance: 200 },
    });
    await expectConserved(t.db, orgId);
  });
});

/**
 * A small deterministic PRNG, so a failure names a case that can be replayed: an LCG read from its high
 * bits (its low bits cycle with short periods, which would correlate the choices of one case).
 */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((s / 2 ** 31) * n);
  };
}

describe('generations running while the period closes', () => {
  it.each([
    ['a plain reset', { days: 0, cap: 0 }, 1],
    ['a capped rollover', { days: 30, cap: 700 }, 2],
    ['a full rollover', { days: 30, cap: 6000 }, 3],
  ])('settle and start around %s without losing or inventing a credit', async (_label, rollover, seed) => {
    const rnd = lcg(seed);
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'team', anchor: JAN_1, prepaid: 300 });
    // 6000 included + 300 prepaid; 30 generations hold 3600.
    const running = await Promise.all(Array.from({ length: 30 }, () => hold(orgId, projectId)));
    const settle = (generationId: string) => {
      const roll = rnd(3);
      return roll === 0
        ? releaseCredits(t.db, { orgId, generationId, kind: 'release', reason: 'failed' })
        : captureCredits(t.db, { orgId, generationId, actualCredits: rnd(roll === 1 ? 120 : 400) });
    };
    const newcomers: string[] = [];
    const start = async () => {
      const generationId = newId('gen');
      const r = await reserveCredits(t.db, { orgId, projectId, generationId, format: 'auto' });
      if (r.status === 'reserved') newcomers.push(generationId);
    };
    // The close races ten settlements and ten new reservations; twenty holds certainly cross it.
    const [closed] = await Promise.all([
      closeCreditPeriod(t.db, {
        orgId,
        periodStart: JAN_1,
        at: FEB_1,
        nextPeriodEnd: MAR_1,
        allowance: 6000,
        rollover,
      }),
      ...running.slice(0, 10).map(settle),
      ...Array.from({ length: 10 }, start),
    ]);
    if (rollover.cap >= 6000) expect(closed.period.heldAtClose).toBe(0);
    else expect(closed.period.heldAtClose).toBeGreaterThan(0);
    // Settlements that finished after the close may have spent or expired some of it already.
    expect((await expectSoundBalance(t.db, orgId)).pending_expiry).toBeLessThanOrEqual(
      closed.period.heldAtClose,
    );
    expect(await findDrift(t.db)).toEqual([]);

    // After the close: the held ones end, some spending the pending credits, some letting them expire.
    await Promise.all([...running.slice(10), ...newcomers].map(settle));
    const b = await expectSoundBalance(t.db, orgId);
    expect(b).toMatchObject({ reserved_credits: 0, pending_expiry: 0 });
    await expectConserved(t.db, orgId);
  });
});
