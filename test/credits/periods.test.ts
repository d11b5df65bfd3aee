import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureCredits, getCreditsSnapshot, grantCredits, reserveCredits } from '../../src/credits/ledger';
import {
  closeCreditPeriod,
  expireRolloverGrants,
  listCreditPeriods,
  revokeIncludedCredits,
  setIncludedAllowance,
  type ClosePeriodInput,
} from '../../src/credits/periods';
import { periodCloseKey, rolloverExpiryKey } from '../../src/credits/ids';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { expectConserved, ledgerFingerprint, ledgerRows, liveGrants } from './period-support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
});
afterAll(() => t.close());
// Guarantee 3 after every test: the ledger explains every balance, grant and hold.
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const JAN_31 = new Date('2026-01-31T10:00:00Z');
const FEB_28 = new Date('2026-02-28T10:00:00Z');
const MAR_31 = new Date('2026-03-31T10:00:00Z');
const DAY = 86_400_000;
const PRO = { days: 30, cap: 1000 };

async function expectDomainError(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}

/** Spends `credits` of the org's balance through a real generation. */
async function spend(orgId: string, projectId: string, credits: number) {
  const generationId = newId('gen');
  await reserveCredits(t.db, { orgId, projectId, generationId, format: 'slideshow_builder' });
  return captureCredits(t.db, { orgId, generationId, actualCredits: credits });
}

const close = (orgId: string, input: Partial<Omit<ClosePeriodInput, 'orgId'>> & { at: Date }) =>
  closeCreditPeriod(t.db, {
    orgId,
    periodStart: input.periodStart ?? JAN_31,
    nextPeriodEnd: input.nextPeriodEnd ?? new Date(input.at.getTime() + 31 * DAY),
    allowance: input.allowance ?? 1000,
    rollover: input.rollover ?? PRO,
    at: input.at,
  });

describe('closeCreditPeriod', () => {
  it('records the summary, rolls unused included credits over and opens the next period', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const rowsBefore = (await ledgerRows(t.db, orgId)).length;

    const r = await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    expect(r.duplicate).toBe(false);
    expect(r.period).toEqual({
      organizationId: orgId,
      start: '2026-01-31T10:00:00.000Z',
      end: '2026-02-28T10:00:00.000Z',
      tier: 'pro',
      includedGranted: 1000,
      usedCredits: 300,
      overageCredits: 0,
      writtenOffCredits: 0,
      rolledOverIn: 0,
      rolloverExpired: 0,
      expiredCredits: 0,
      rolledOverOut: 700,
      heldAtClose: 0,
      next: { end: '2026-03-31T10:00:00.000Z', allowance: 1000 },
      rollover: { days: 30, cap: 1000 },
    });
    expect(r.credits).toMatchObject({
      balance: 1700,
      available: 1700,
      includedRemaining: 1700,
      includedThisPeriod: 1000,
      usedThisPeriod: 0,
      rolledOverCredits: 700,
      rolloverExpiresAt: '2026-03-30T10:00:00.000Z',
      currentPeriod: { start: '2026-02-28T10:00:00.000Z', end: '2026-03-31T10:00:00.000Z', usedCredits: 0 },
    });
    expect(r.credits.balance).toBe(r.credits.includedRemaining + r.credits.prepaidBalance);
    expect(await getCreditsSnapshot(t.db, orgId)).toEqual(r.credits);

    const rows = await ledgerRows(t.db, orgId);
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)).toMatchObject({
      entry_type: 'period_close',
      idempotency_key: periodCloseKey(orgId, JAN_31),
      effective_at: FEB_28,
    });
    expect(await liveGrants(t.db, orgId)).toMatchObject([
      { granted: 700, remaining: 700, granted_at: FEB_28, expires_at: new Date('2026-03-30T10:00:00Z') },
    ]);
    await expectConserved(t.db, orgId);
  });

  it('rolls over at most the cap and lets the rest expire', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const r = await close(orgId, { at: FEB_28, rollover: { days: 30, cap: 400 } });
    expect(r.period).toMatchObject({ rolledOverOut: 400, expiredCredits: 300, rolloverExpired: 0 });
    expect(r.credits).toMatchObject({ includedRemaining: 1400, rolledOverCredits: 400 });
    await expectConserved(t.db, orgId);
  });

  it('is a plain reset with 0 rollover days', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const r = await close(orgId, { at: FEB_28, rollover: { days: 0, cap: 1000 } });
    expect(r.period).toMatchObject({ rolledOverOut: 0, expiredCredits: 700 });
    expect(r.credits).toMatchObject({
      includedRemaining: 1000,
      rolledOverCredits: 0,
      rolloverExpiresAt: null,
    });
    expect(await liveGrants(t.db, orgId)).toEqual([]);
  });

  it('expires the grants due at the next close and reports them in that period', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await close(orgId, { at: FEB_28, allowance: 1000 }); // all 1000 roll over, expiring 30 Mar
    const second = await close(orgId, { periodStart: FEB_28, at: MAR_31 });
    expect(second.period).toMatchObject({
      rolledOverIn: 1000,
      rolloverExpired: 1000,
      expiredCredits: 1000,
      rolledOverOut: 1000,
    });
    expect(second.credits).toMatchObject({
      includedRemaining: 2000,
      rolledOverCredits: 1000,
      rolloverExpiresAt: '2026-04-30T10:00:00.000Z',
    });
    await expectConserved(t.db, orgId);
  });

  it('spends rolled-over credits first, the grant expiring first before the later one', async () => {
    // Monthly from 1 January with a 30-day rollover: the February close's grant (expires 3 March) is
    // still live at the March close, which makes a second one (expires 31 March).
    const jan1 = new Date('2026-01-01T00:00:00Z');
    const feb1 = new Date('2026-02-01T00:00:00Z');
    const mar1 = new Date('2026-03-01T00:00:00Z');
    const mar3 = new Date('2026-03-03T00:00:00Z');
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: jan1, prepaid: 100 });
    await spend(orgId, projectId, 800); // 200 left to roll over
    await close(orgId, { periodStart: jan1, at: feb1, nextPeriodEnd: mar1 });
    const march = await close(orgId, {
      periodStart: feb1,
      at: mar1,
      nextPeriodEnd: new Date('2026-04-01T00:00:00Z'),
    });
    expect(march.period).toMatchObject({ rolledOverIn: 200, rolloverExpired: 0, rolledOverOut: 1000 });
    expect(march.credits).toMatchObject({
      includedRemaining: 2200,
      rolledOverCredits: 1200,
      rolloverExpiresAt: '2026-03-03T00:00:00.000Z',
    });

    const c = await spend(orgId, projectId, 150);
    expect(c.charge).toMatchObject({ fromRolledOver: 150, fromIncluded: 0, fromPrepaid: 0 });
    expect((await liveGrants(t.db, orgId)).map((g) => [g.remaining, g.expires_at.toISOString()])).toEqual([
      [50, '2026-03-03T00:00:00.000Z'],
      [1000, '2026-03-31T00:00:00.000Z'],
    ]);
    // The earlier grant's rest expires on its day; the later one is next.
    const expired = await expireRolloverGrants(t.db, { orgId, at: mar3 });
    expect(expired).toMatchObject({ expiredCredits: 50, heldCredits: 0 });
    expect(expired.credits).toMatchObject({
      rolledOverCredits: 1000,
      rolloverExpiresAt: '2026-03-31T00:00:00.000Z',
    });

    // Across both kinds and into prepaid: the rest of the grant, then March's 1000, then prepaid.
    const big = await spend(orgId, projectId, 2050);
    expect(big.charge).toMatchObject({
      fromRolledOver: 1000,
      fromIncluded: 1000,
      fromPrepaid: 50,
      overage: 0,
    });
    expect(big.credits).toMatchObject({ rolledOverCredits: 0, rolloverExpiresAt: null, balance: 50 });
    await expectConserved(t.db, orgId);
  });

  it('answers a repeat with the first summary and writes nothing more', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const first = await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    await spend(orgId, projectId, 50);
    const before = await ledgerFingerprint(t.db);
    const again = await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    expect(again.duplicate).toBe(true);
    expect(again.period).toEqual(first.period);
    expect(again.credits.usedThisPeriod).toBe(50); // the current balance, not the first answer's
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it('refuses a repeat with other arguments, writing nothing', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    const before = await ledgerFingerprint(t.db);
    for (const other of [
      { at: FEB_28, nextPeriodEnd: MAR_31, allowance: 400 },
      { at: FEB_28, nextPeriodEnd: MAR_31, rollover: { days: 0, cap: 0 } },
      { at: new Date(FEB_28.getTime() + 1), nextPeriodEnd: MAR_31 },
    ]) {
      const err = await expectDomainError(close(orgId, other), 'IDEMPOTENCY_KEY_REUSED');
      expect(err.details).toMatchObject({ key: periodCloseKey(orgId, JAN_31) });
    }
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it('refuses to close any period but the open one', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    const before = await ledgerFingerprint(t.db);
    const err = await expectDomainError(
      close(orgId, { periodStart: new Date('2026-01-01T10:00:00Z'), at: FEB_28 }),
      'VALIDATION_FAILED',
    );
    expect(err.details).toEqual({ field: 'periodStart', currentPeriodStart: '2026-01-31T10:00:00.000Z' });
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it.each([
    ['orgId empty', { orgId: '' }, 'orgId'],
    ['periodStart not a date', { periodStart: 'yesterday' }, 'periodStart'],
    ['at not a date', { at: new Date(Number.NaN) }, 'at'],
    ['at not after periodStart', { at: JAN_31 }, 'at'],
    ['nextPeriodEnd not after at', { nextPeriodEnd: FEB_28 }, 'nextPeriodEnd'],
    ['allowance negative', { allowance: -1 }, 'allowance'],
    ['allowance fractional', { allowance: 1.5 }, 'allowance'],
    ['allowance a string', { allowance: '1000' }, 'allowance'],
    ['rollover missing', { rollover: undefined }, 'rollover.days'],
    ['rollover days negative', { rollover: { days: -1, cap: 10 } }, 'rollover.days'],
    ['rollover days absurd', { rollover: { days: 3651, cap: 10 } }, 'rollover.days'],
    ['rollover cap negative', { rollover: { days: 30, cap: -1 } }, 'rollover.cap'],
  ])('refuses %s, writing nothing', async (_label, bad, field) => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    const before = await ledgerFingerprint(t.db);
    const input = {
      orgId,
      periodStart: JAN_31,
      at: FEB_28,
      nextPeriodEnd: MAR_31,
      allowance: 1000,
      rollover: PRO,
      ...bad,
    } as ClosePeriodInput;
    const err = await expectDomainError(closeCreditPeriod(t.db, input), 'VALIDATION_FAILED');
    expect(err.details).toMatchObject({ field });
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it('refuses an unknown org', async () => {
    const before = await ledgerFingerprint(t.db);
    await expectDomainError(close('org_missing', { at: FEB_28 }), 'NOT_FOUND');
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it('accepts the dates as the ISO strings Temporal hands to activities', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'plus', anchor: JAN_31 });
    const r = await closeCreditPeriod(t.db, {
      orgId,
      periodStart: JAN_31.toISOString(),
      at: FEB_28.toISOString(),
      nextPeriodEnd: MAR_31.toISOString(),
      allowance: 100,
      rollover: { days: 30, cap: 100 },
    });
    expect(r.period).toMatchObject({ start: JAN_31.toISOString(), rolledOverOut: 100 });
    const again = await close(orgId, {
      at: FEB_28,
      nextPeriodEnd: MAR_31,
      allowance: 100,
      rollover: { days: 30, cap: 100 },
    });
    expect(again.duplicate).toBe(true);
  });
});

describe('expireRolloverGrants', () => {
  it('expires a grant between two closes, once, and the next close reports it', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31, prepaid: 50 });
    await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 }); // 1000 roll over, expiring 30 March
    const due = new Date('2026-03-30T10:00:00Z');

    const early = await expireRolloverGrants(t.db, { orgId, at: new Date(due.getTime() - 1) });
    expect(early).toMatchObject({ duplicate: false, expiredCredits: 0, heldCredits: 0 });
    expect(early.credits.rolledOverCredits).toBe(1000);
    expect(await ledgerRows(t.db, orgId)).toHaveLength(3); // opening grant, prepaid, close: nothing new

    const r = await expireRolloverGrants(t.db, { orgId, at: due });
    expect(r).toMatchObject({ duplicate: false, expiredCredits: 1000, heldCredits: 0 });
    expect(r.credits).toMatchObject({
      includedRemaining: 1000,
      rolledOverCredits: 0,
      rolloverExpiresAt: null,
      balance: 1050,
    });
    expect((await ledgerRows(t.db, orgId)).at(-1)).toMatchObject({
      entry_type: 'expire_rollover',
      idempotency_key: rolloverExpiryKey(orgId, due),
      rolled_over_delta: -1000,
      expired_delta: 1000,
      effective_at: due,
    });
    const grant = await t.db
      .selectFrom('credit_grants')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(grant).toMatchObject({ remaining: 0, expired_at: due, expired_credits: 1000 });

    const before = await ledgerFingerprint(t.db);
    const again = await expireRolloverGrants(t.db, { orgId, at: due });
    expect(again).toMatchObject({ duplicate: true, expiredCredits: 1000, heldCredits: 0 });
    expect(await ledgerFingerprint(t.db)).toEqual(before);

    const next = await close(orgId, { periodStart: FEB_28, at: MAR_31 });
    expect(next.period).toMatchObject({ rolledOverIn: 1000, rolloverExpired: 1000, expiredCredits: 1000 });
    await expectConserved(t.db, orgId);
  });

  it('refuses a key reused for another time or operation (the database guard), writing nothing', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    const due = new Date('2026-03-30T10:00:00Z');
    await expireRolloverGrants(t.db, { orgId, at: due });
    const before = await ledgerFingerprint(t.db);
    const { rows } = await sql<{ outcome: string }>`
      SELECT outcome FROM credits_expire_grants(${orgId}, ${MAR_31}, ${rolloverExpiryKey(orgId, due)})
      UNION ALL
      SELECT outcome FROM credits_expire_grants(${orgId}, ${due}, ${periodCloseKey(orgId, JAN_31)})
    `.execute(t.db);
    expect(rows.map((r) => r.outcome)).toEqual(['conflict', 'conflict']);
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });

  it('refuses bad input and unknown orgs, writing nothing', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    const before = await ledgerFingerprint(t.db);
    await expectDomainError(expireRolloverGrants(t.db, { orgId, at: 'soon' }), 'VALIDATION_FAILED');
    await expectDomainError(expireRolloverGrants(t.db, { orgId: ' ', at: FEB_28 }), 'VALIDATION_FAILED');
    await expectDomainError(expireRolloverGrants(t.db, { orgId: 'org_missing', at: FEB_28 }), 'NOT_FOUND');
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });
});

describe('setIncludedAllowance', () => {
  const at = new Date('2026-02-15T12:00:00Z');

  it('grants the difference on an upgrade, once per change', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const r = await setIncludedAllowance(t.db, { orgId, allowance: 6000, changeId: 'chg_1', at });
    expect(r).toMatchObject({
      duplicate: false,
      previousAllowance: 1000,
      allowance: 6000,
      addedCredits: 5000,
      expiredCredits: 0,
      heldCredits: 0,
    });
    expect(r.credits).toMatchObject({
      includedThisPeriod: 6000,
      includedRemaining: 5700,
      usedThisPeriod: 300,
    });
    expect((await ledgerRows(t.db, orgId)).at(-1)).toMatchObject({
      entry_type: 'allowance_change',
      included_delta: 5000,
      allowance_delta: 5000,
      effective_at: at,
    });

    const before = await ledgerFingerprint(t.db);
    expect(await setIncludedAllowance(t.db, { orgId, allowance: 6000, changeId: 'chg_1', at })).toMatchObject(
      {
        duplicate: true,
        addedCredits: 5000,
      },
    );
    await expectDomainError(
      setIncludedAllowance(t.db, { orgId, allowance: 900, changeId: 'chg_1', at }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    await expectDomainError(
      setIncludedAllowance(t.db, { orgId, allowance: 6000, changeId: 'chg_1', at: FEB_28 }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await ledgerFingerprint(t.db)).toEqual(before);
    await expectConserved(t.db, orgId);
  });

  it('clamps a downgrade now to the new allowance less what the period used, never below 0', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await spend(orgId, projectId, 300);
    const down = await setIncludedAllowance(t.db, { orgId, allowance: 400, changeId: 'chg_down', at });
    expect(down).toMatchObject({ previousAllowance: 1000, addedCredits: 0, expiredCredits: 600 });
    expect(down.credits).toMatchObject({ includedThisPeriod: 400, includedRemaining: 100 });

    const further = await setIncludedAllowance(t.db, { orgId, allowance: 100, changeId: 'chg_down_2', at });
    expect(further).toMatchObject({ expiredCredits: 100 });
    expect(further.credits).toMatchObject({ includedThisPeriod: 100, includedRemaining: 0 });
    await expectConserved(t.db, orgId);
  });

  it('leaves rolled-over credits alone', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 });
    const r = await setIncludedAllowance(t.db, {
      orgId,
      allowance: 100,
      changeId: 'chg',
      at: new Date('2026-03-01T00:00:00Z'),
    });
    expect(r.credits).toMatchObject({ rolledOverCredits: 1000, includedRemaining: 1100 });
  });

  it('refuses bad input, a change dated before the open period and unknown orgs, writing nothing', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31 });
    const before = await ledgerFingerprint(t.db);
    const ok = { orgId, allowance: 400, changeId: 'chg', at };
    for (const bad of [{ allowance: -1 }, { allowance: 2.5 }, { changeId: '' }, { at: 'never' }]) {
      await expectDomainError(
        setIncludedAllowance(t.db, { ...ok, ...bad } as typeof ok),
        'VALIDATION_FAILED',
      );
    }
    const err = await expectDomainError(
      setIncludedAllowance(t.db, { ...ok, at: new Date('2026-01-01T00:00:00Z') }),
      'VALIDATION_FAILED',
    );
    expect(err.details).toMatchObject({ field: 'at' });
    await expectDomainError(setIncludedAllowance(t.db, { ...ok, orgId: 'org_missing' }), 'NOT_FOUND');
    expect(await ledgerFingerprint(t.db)).toEqual(before);
  });
});

describe('revokeIncludedCredits', () => {
  it('takes every included credit, rolled-over ones too, and leaves prepaid credits', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro', anchor: JAN_31, prepaid: 200 });
    await spend(orgId, projectId, 300);
    await close(orgId, { at: FEB_28, nextPeriodEnd: MAR_31 }); // 700 roll over
    const at = new Date('2026-03-05T00:00:00Z');
    const r = await revokeIncludedCredits(t.db, { orgId, changeId: 'pause_1', at });
    expect(r).toMatchObject({
      duplicate: false,
      previousAllowance: 1000,
      expiredCredits: 1700,
      rolloverExpired: 700,
      heldCredits: 0,
    });
    expect(r.credits).toMatchObject({
      balance: 200,
      includedRemaining: 0,
      prepaidBalance: 200,
      includedThisPeriod: 0,
      rolledOverCredits: 0,
      rolloverExpiresAt: null,
    });
    expect((await ledgerRows(t.db, orgId)).at(-1)).toMatchObject({
      entry_type: 'revoke_included',
      effective_at: at,
    });

    const before = await ledgerFingerprint(t.db);
    expect(await revokeIncludedCredits(t.db, { orgId, changeId: 'pause_1', at })).toMatchObject({
      duplicate: true,
      expiredCredits: 1700,
    });
    await expectDomainError(
      revokeIncludedCredits(t.db, { orgId, changeId: 'pause_1', at: MAR_31 }),
      'IDEMPOTENCY_KEY_REUSED',
    );
    await expectDomainError(revokeIncludedCredits(t.db, { orgId, changeId: '', at }), 'VALIDATION_FAILED');
    await expectDomainError(
      revokeIncludedCredits(t.db, { orgId, changeId: 'pause_0', at: JAN_31 }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      revokeIncludedCredits(t.db, { orgId: 'org_missing', changeId: 'x', at }),
      'NOT_FOUND',
    );
    expect(await ledgerFingerprint(t.db)).toEqual(before);

    // The next close grants what the caller says (0 while paused) and reports the expiries.
    const next = await close(orgId, { periodStart: FEB_28, at: MAR_31, allowance: 0 });
    expect(next.period).toMatchObject({ includedGranted: 0, rolloverExpired: 700, expiredCredits: 1700 });
    expect(next.credits).toMatchObject({ balance: 200, includedThisPeriod: 0 });
    await expectConserved(t.db, orgId);
  });
});

describe('a year of closes', () => {
  it('carries each period’s rollover into the next summary, with no drift and nothing lost', async () => {
    const anchor = new Date('2026-01-31T10:00:00Z');
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', anchor, prepaid: 500 });
    const ends = [
      '2026-02-28',
      '2026-03-31',
      '2026-04-30',
      '2026-05-31',
      '2026-06-30',
      '2026-07-31',
      '2026-08-31',
      '2026-09-30',
      '2026-10-31',
      '2026-11-30',
      '2026-12-31',
      '2027-01-31',
      '2027-02-28',
    ].map((d) => new Date(`${d}T10:00:00Z`));
    let start = anchor;
    let previousOut = 0;
    for (let month = 0; month < 12; month++) {
      await spend(orgId, projectId, [30, 0, 150, 70, 100, 0, 260, 10, 90, 100, 45, 5][month]!);
      if (month % 3 === 1) {
        // A timer between the closes: the grant made 30 days before.
        await expireRolloverGrants(t.db, { orgId, at: new Date(start.getTime() + 30 * DAY) });
      }
      const r = await close(orgId, {
        periodStart: start,
        at: ends[month]!,
        nextPeriodEnd: ends[month + 1]!,
        allowance: 100,
        rollover: { days: 30, cap: 100 },
      });
      expect(r.period.rolledOverIn).toBe(previousOut);
      expect(r.credits.balance).toBe(r.credits.includedRemaining + r.credits.prepaidBalance);
      previousOut = r.period.rolledOverOut;
      start = ends[month]!;
    }
    const periods = await listCreditPeriods(t.db, orgId);
    expect(periods.map((p) => p.end)).toEqual(ends.slice(0, 12).map((d) => d.toISOString()));
    expect(periods.map((p) => p.usedCredits)).toEqual([30, 0, 150, 70, 100, 0, 260, 10, 90, 100, 45, 5]);
    await expectConserved(t.db, orgId);
  });
});

describe('grants of included credits by the opening grant', () => {
  it('still count as this period’s allowance', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'free', anchor: JAN_31 });
    await grantCredits(t.db, { orgId, bucket: 'included', credits: 40, idempotencyKey: 'promo:1' });
    const r = await close(orgId, { at: FEB_28, allowance: 0, rollover: { days: 0, cap: 0 } });
    expect(r.period).toMatchObject({ includedGranted: 40, expiredCredits: 40 });
    await expectConserved(t.db, orgId);
  });
});
