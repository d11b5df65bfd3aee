import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCapture } from '../../src/credits/capture';
import { planPeriodClose } from '../../src/credits/expiry';
import { captureCredits, releaseCredits, reserveCredits } from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import { findDrift } from '../../src/credits/reconcile';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { balanceOf, expectConserved, expectSoundBalance } from './period-support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

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

describe('credits_capture (SQL) and planCapture (TypeScript)', () => {
  it('split the same way on 60 random balances, holds and costs', async () => {
    const rnd = lcg(20261121);
    for (let i = 0; i < 60; i++) {
      const tier = rnd(2) === 0 ? 'plus' : 'free';
      const prepaid = rnd(300);
      const { orgId, projectId, credits } = await makeOrg(t.db, { tier, prepaid: prepaid || undefined });
      const other = rnd(2) === 0 ? 'slideshow_builder' : undefined;
      if (other) await reserveCredits(t.db, { orgId, projectId, generationId: newId('gen'), format: other });
      const generationId = newId('gen');
      const r = await reserveCredits(t.db, { orgId, projectId, generationId, format: 'slideshow_remix' });
      if (r.status !== 'reserved') continue;
      const actual = rnd(400);
      const expected = planCapture({
        includedRemaining: r.credits.includedRemaining,
        rolledOverRemaining: 0,
        pendingExpiry: 0,
        prepaidBalance: r.credits.prepaidBalance,
        reservedCredits: r.credits.reservedCredits,
        hold: r.reservedCredits,
        actual,
        overageAllowed: tier === 'plus',
      });
      const got = await captureCredits(t.db, { orgId, generationId, actualCredits: actual });
      expect({ case: i, ...got.charge }).toEqual({ case: i, ...expected, actual, hold: 50 });
      expect(got.credits.balance).toBe(
        credits.balance + prepaid - expected.fromIncluded - expected.fromPrepaid,
      );
    }
    expect(await findDrift(t.db)).toEqual([]);
  });

  it('agree, and so do credits_close_period and planPeriodClose, with rolled-over and pending credits', async () => {
    const rnd = lcg(20261122);
    const boundaries = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'].map(
      (d) => new Date(`${d}T00:00:00Z`),
    );
    let captures = 0;
    let withRollover = 0;
    let withPending = 0;
    for (let i = 0; i < 50; i++) {
      const tier = ['plus', 'pro', 'free'][rnd(3)]!;
      const allowance = { plus: 100, pro: 1000, free: 0 }[tier]!;
      const { orgId, projectId } = await makeOrg(t.db, {
        tier,
        anchor: boundaries[0],
        prepaid: rnd(300) || undefined,
      });
      const holds: string[] = [];
      // Two closes, with spending and holds around each, so that grants are due, live or spent and
      // holds cross the boundaries.
      for (let month = 0; month < 2; month++) {
        for (let n = rnd(3); n > 0; n--) {
          const generationId = newId('gen');
          const r = await reserveCredits(t.db, {
            orgId,
            projectId,
            generationId,
            format: 'slideshow_builder',
          });
          if (r.status === 'reserved') {
            await captureCredits(t.db, { orgId, generationId, actualCredits: rnd(allowance + 60) });
          }
        }
        for (let n = rnd(4); n > 0; n--) {
          const generationId = newId('gen');
          const r = await reserveCredits(t.db, {
            orgId,
            projectId,
            generationId,
            format: rnd(2) ? 'video_remix' : 'slideshow_builder',
          });
          if (r.status === 'reserved') holds.push(generationId);
        }
        const rollover = { days: [0, 10, 30, 45][rnd(4)]!, cap: rnd(allowance + 200) };
        const at = boundaries[month + 1]!;
        const b = await balanceOf(t.db, orgId);
        const due = await t.db
          .selectFrom('credit_grants')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('remaining'), eb.lit(0)).as('due'))
          .where('org_id', '=', orgId)
          .where('remaining', '>', 0)
          .where('expires_at', '<=', at)
          .executeTakeFirstOrThrow();
        const plan = planPeriodClose({
          includedRemaining: b.included_remaining,
          dueGrants: Number(due.due),
          reservedCredits: b.reserved_credits,
          pendingExpiry: b.pending_expiry,
          rolloverDays: rollover.days,
          rolloverCap: rollover.cap,
        });
        const closed = await closeCreditPeriod(t.db, {
          orgId,
          periodStart: boundaries[month]!,
          at,
          nextPeriodEnd: boundaries[month + 2]!,
          allowance,
          rollover,
        });
        expect({ case: i, month, ...closed.period }).toMatchObject({
          case: i,
          month,
          rolledOverOut: plan.rolledOver,
          heldAtClose: plan.held,
          expiredCredits: b.expired_this_period + plan.expired,
          rolloverExpired: b.rollover_expired_this_period + plan.rolloverExpired,
        });
        await expectSoundBalance(t.db, orgId);
        // Some holds end between the closes, spending or letting go of what they kept.
        if (month === 0 && holds.length > 0 && rnd(2)) {
          await releaseCredits(t.db, { orgId, generationId: holds.shift()!, kind: 'release' });
        }
      }

      // The capture under test, and the holds still running beside it.
      const generationId = holds.length > 0 && rnd(2) ? holds.shift()! : newId('gen');
      const held = await t.db
        .selectFrom('reservations')
        .select('amount')
        .where('generation_id', '=', generationId)
        .executeTakeFirst();
      if (!held) {
        const r = await reserveCredits(t.db, { orgId, projectId, generationId, format: 'slideshow_remix' });
        if (r.status !== 'reserved') continue;
      }
      const b = await balanceOf(t.db, orgId);
      const hold = held?.amount ?? 50;
      const actual = rnd(500);
      const expected = planCapture({
        includedRemaining: b.included_remaining,
        rolledOverRemaining: b.rolled_over_remaining,
        pendingExpiry: b.pending_expiry,
        prepaidBalance: b.prepaid_balance,
        reservedCredits: b.reserved_credits,
        hold,
        actual,
        overageAllowed: tier !== 'free',
      });
      const got = await captureCredits(t.db, { orgId, generationId, actualCredits: actual });
      expect({ case: i, ...got.charge }).toEqual({ case: i, ...expected, actual, hold });
      captures++;
      if (expected.fromRolledOver > 0) withRollover++;
      if (expected.fromPendingExpiry + expected.pendingExpired > 0) withPending++;
      for (const g of holds) await releaseCredits(t.db, { orgId, generationId: g, kind: 'expire' });
      expect(await expectSoundBalance(t.db, orgId)).toMatchObject({ pending_expiry: 0, reserved_credits: 0 });
      await expectConserved(t.db, orgId);
    }
    // The random cases reached what they are for.
    expect(captures).toBeGreaterThan(35);
    expect(withRollover).toBeGreaterThan(3);
    expect(withPending).toBeGreaterThan(3);
    expect(await findDrift(t.db)).toEqual([]);
  });
});
