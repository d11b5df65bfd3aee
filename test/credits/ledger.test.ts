import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  captureCredits,
  getCreditsSnapshot,
  grantCredits,
  releaseCredits,
  reserveCredits,
} from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { newId } from '../../src/ids';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fingerprint, ledgerRowCount, makeOrg } from '../support/fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 40 });
});
afterAll(() => t.close());
// Guarantee 3: whatever a test did, the ledger still explains every balance.
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const reserve = (
  orgId: string,
  projectId: string,
  format = 'slideshow_builder',
  generationId = newId('gen'),
) => reserveCredits(t.db, { orgId, projectId, generationId, format });

async function expectDomainError(p: Promise<unknown>, code: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}

describe('snapshot', () => {
  it('opens an org with its tier allowance and reconciles balance and available', async () => {
    const { orgId, credits } = await makeOrg(t.db, { tier: 'pro', anchor: new Date('2026-04-01T00:00:00Z') });
    expect(credits).toMatchObject({
      organizationId: orgId,
      balance: 1000,
      available: 1000,
      includedRemaining: 1000,
      prepaidBalance: 0,
      reservedCredits: 0,
      includedThisPeriod: 1000,
      usedThisPeriod: 0,
      currentPeriod: { start: '2026-04-01T00:00:00.000Z', end: '2026-05-01T00:00:00.000Z', usedCredits: 0 },
      subscriptionTier: 'pro',
      billingStatus: 'active',
      estimatedCreditsPerFormat: {
        slideshow_builder: 50,
        slideshow_remix: 50,
        video_remix: 120,
        ugc_remix: 120,
        auto: 120,
      },
      ingestCostsBilled: { github: false, website: false, appstore: false },
      rolledOverCredits: 0,
      rolloverExpiresAt: null,
    });
  });

  it('keeps balance - reservedCredits = available while generations are in flight', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', prepaid: 30 });
    await reserve(orgId, projectId, 'video_remix');
    const s = await getCreditsSnapshot(t.db, orgId);
    expect(s).toMatchObject({ balance: 130, reservedCredits: 120, available: 10 });
    expect(s.balance - s.reservedCredits).toBe(s.available);
  });
});

describe('reserve', () => {
  it('lets exactly 50 of 200 concurrent reservations of 50 through against 2,500 available', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 2500 });
    const results = await Promise.all(Array.from({ length: 200 }, () => reserve(orgId, projectId)));
    const reserved = results.filter((r) => r.status === 'reserved');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(reserved).toHaveLength(50);
    expect(rejected).toHaveLength(150);
    for (const r of results) expect(r.credits.available).toBeGreaterThanOrEqual(0);
    for (const r of rejected) expect(r).toMatchObject({ code: 'BILLING_EXHAUSTED', required: 50 });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({
      balance: 2500,
      reservedCredits: 2500,
      available: 0,
    });
    // A refusal writes nothing: one generation and one ledger row per successful reservation only.
    expect(await ledgerRowCount(t.db, orgId)).toBe(1 + 50);
    const gens = await t.db.selectFrom('generations').select('id').where('org_id', '=', orgId).execute();
    expect(gens).toHaveLength(50);
  });

  it('is idempotent on the generation id, also when the duplicates race', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => reserve(orgId, projectId, 'video_remix', generationId)),
    );
    expect(results.every((r) => r.status === 'reserved' && r.reservedCredits === 120)).toBe(true);
    expect(results.filter((r) => r.status === 'reserved' && !r.duplicate)).toHaveLength(1);
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({ reservedCredits: 120, available: 380 });
  });

  it('refuses unknown formats, unknown or foreign projects and bad ids, writing nothing', async () => {
    const a = await makeOrg(t.db, { prepaid: 500 });
    const b = await makeOrg(t.db, { prepaid: 500 });
    const before = await fingerprint(t.db);
    await expectDomainError(reserve(a.orgId, a.projectId, 'hologram'), 'UNKNOWN_FORMAT');
    await expectDomainError(reserve(a.orgId, a.projectId, ''), 'UNKNOWN_FORMAT');
    await expectDomainError(reserve(a.orgId, 'prj_missing'), 'NOT_FOUND');
    await expectDomainError(reserve(a.orgId, b.projectId), 'NOT_FOUND');
    await expectDomainError(reserve('org_missing', a.projectId), 'NOT_FOUND');
    await expectDomainError(reserve(a.orgId, a.projectId, 'auto', ''), 'VALIDATION_FAILED');
    await expectDomainError(reserve(a.orgId, a.projectId, 'auto', 'x'.repeat(201)), 'VALIDATION_FAILED');
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it("refuses a generation id already used by another org, leaving the owner's hold alone", async () => {
    const a = await makeOrg(t.db, { prepaid: 500 });
    const b = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await reserve(a.orgId, a.projectId, 'auto', generationId);
    const before = await fingerprint(t.db);
    await expectDomainError(reserve(b.orgId, b.projectId, 'auto', generationId), 'IDEMPOTENCY_KEY_REUSED');
    expect(await fingerprint(t.db)).toEqual(before);
  });
});

describe('capture', () => {
  it('charges a cost above the hold in full: included first, then prepaid, the rest as overage', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', prepaid: 100 }); // 100 included + 100 prepaid
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'video_remix', generationId);
    const r = await captureCredits(t.db, { orgId, generationId, actualCredits: 250, model: 'veo-3' });
    expect(r.charge).toEqual({
      actual: 250,
      hold: 120,
      fromPendingExpiry: 0,
      fromRolledOver: 0,
      fromIncluded: 100,
      fromPrepaid: 100,
      overage: 50,
      writtenOff: 0,
      released: 0,
      pendingExpired: 0,
    });
    expect(r.credits).toMatchObject({ balance: 0, available: 0, reservedCredits: 0, usedThisPeriod: 250 });
    const bal = await t.db
      .selectFrom('credit_balances')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    expect(bal.overage_this_period).toBe(50);
    const gen = await t.db
      .selectFrom('generations')
      .selectAll()
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen).toMatchObject({ status: 'completed', actual_credits: 250, model: 'veo-3' });
  });

  it("never draws a cost above the hold from another generation's hold", async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', prepaid: 100 });
    const a = newId('gen');
    const b = newId('gen');
    await reserve(orgId, projectId, 'video_remix', a); // 120
    await reserve(orgId, projectId, 'slideshow_builder', b); // 50; 30 left unheld
    const ra = await captureCredits(t.db, { orgId, generationId: a, actualCredits: 200 });
    expect(ra.charge).toMatchObject({ fromIncluded: 100, fromPrepaid: 50, overage: 50 });
    expect(ra.credits).toMatchObject({ balance: 50, reservedCredits: 50, available: 0 });
    const rb = await captureCredits(t.db, { orgId, generationId: b, actualCredits: 50 });
    expect(rb.charge).toMatchObject({ fromIncluded: 0, fromPrepaid: 50, overage: 0 });
    expect(rb.credits).toMatchObject({ balance: 0, reservedCredits: 0, usedThisPeriod: 250 });
  });

  it('releases what a cost below the hold did not use', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro' });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'video_remix', generationId);
    const r = await captureCredits(t.db, { orgId, generationId, actualCredits: 30 });
    expect(r.charge).toMatchObject({
      actual: 30,
      hold: 120,
      fromIncluded: 30,
      fromPrepaid: 0,
      overage: 0,
      released: 90,
    });
    expect(r.credits).toMatchObject({ balance: 970, reservedCredits: 0, available: 970, usedThisPeriod: 30 });
  });

  it('accepts a zero-cost generation and releases the whole hold', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 50 });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'slideshow_remix', generationId);
    const r = await captureCredits(t.db, { orgId, generationId, actualCredits: 0 });
    expect(r.charge).toMatchObject({ actual: 0, released: 50 });
    expect(r.credits).toMatchObject({ balance: 50, available: 50 });
  });

  it('writes off, and records, what a tier without overage cannot cover', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'free', prepaid: 120 });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'auto', generationId);
    const r = await captureCredits(t.db, { orgId, generationId, actualCredits: 200 });
    expect(r.charge).toMatchObject({ fromPrepaid: 120, overage: 0, writtenOff: 80 });
    const row = await t.db
      .selectFrom('credit_ledger')
      .selectAll()
      .where('idempotency_key', '=', `reservation:${generationId}:settle`)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      entry_type: 'capture',
      prepaid_delta: -120,
      written_off_delta: 80,
      used_delta: 200,
    });
  });

  it('changes balances once when executed twice, and refuses a second, different amount', async () => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'auto', generationId);
    const first = await captureCredits(t.db, { orgId, generationId, actualCredits: 100 });
    const again = await captureCredits(t.db, { orgId, generationId, actualCredits: 100 });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.charge).toEqual(first.charge);
    expect(again.credits.balance).toBe(400);
    const before = await fingerprint(t.db);
    await expectDomainError(
      captureCredits(t.db, { orgId, generationId, actualCredits: 99 }),
      'GENERATION_ALREADY_ENDED',
    );
    await expectDomainError(
      releaseCredits(t.db, { orgId, generationId, kind: 'release' }),
      'GENERATION_ALREADY_ENDED',
    );
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['a string', '100'],
    ['absurdly large', 10 ** 15],
    ['null', null],
  ])('refuses an actual cost that is %s, writing nothing', async (_label, actualCredits) => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'auto', generationId);
    const before = await fingerprint(t.db);
    const err = await expectDomainError(
      captureCredits(t.db, { orgId, generationId, actualCredits: actualCredits as number }),
      'VALIDATION_FAILED',
    );
    expect(err.details).toMatchObject({ field: 'actualCredits' });
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it('refuses another org capturing a generation it does not own', async () => {
    const a = await makeOrg(t.db, { prepaid: 500 });
    const b = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await reserve(a.orgId, a.projectId, 'auto', generationId);
    const before = await fingerprint(t.db);
    await expectDomainError(
      captureCredits(t.db, { orgId: b.orgId, generationId, actualCredits: 10 }),
      'NOT_FOUND',
    );
    await expectDomainError(
      releaseCredits(t.db, { orgId: b.orgId, generationId, kind: 'release' }),
      'NOT_FOUND',
    );
    expect(await fingerprint(t.db)).toEqual(before);
  });
});

describe('release and expire', () => {
  it.each(['release', 'expire'] as const)('%s returns the whole hold, once', async (kind) => {
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 200 });
    const generationId = newId('gen');
    await reserve(orgId, projectId, 'video_remix', generationId);
    const r = await releaseCredits(t.db, { orgId, generationId, kind, reason: 'model crashed' });
    expect(r).toMatchObject({
      status: kind === 'release' ? 'released' : 'expired',
      duplicate: false,
      releasedCredits: 120,
    });
    expect(r.credits).toMatchObject({ balance: 200, available: 200, reservedCredits: 0 });
    const again = await releaseCredits(t.db, { orgId, generationId, kind });
    expect(again.duplicate).toBe(true);
    expect(again.credits.available).toBe(200);
    await expectDomainError(
      captureCredits(t.db, { orgId, generationId, actualCredits: 10 }),
      'GENERATION_ALREADY_ENDED',
    );
    const gen = await t.db
      .selectFrom('generations')
      .selectAll()
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen.status).toBe(kind === 'release' ? 'failed' : 'expired');
  });
});

describe('grants', () => {
  it('grants prepaid once per key and refuses the key for another amount', async () => {
    const { orgId } = await makeOrg(t.db);
    const g = (credits: number) =>
      grantCredits(t.db, { orgId, bucket: 'prepaid', credits, idempotencyKey: 'pack:abc' });
    expect((await g(500)).credits.prepaidBalance).toBe(500);
    expect((await g(500)).duplicate).toBe(true);
    const before = await fingerprint(t.db);
    await expectDomainError(g(501), 'IDEMPOTENCY_KEY_REUSED');
    expect(await fingerprint(t.db)).toEqual(before);
    expect((await getCreditsSnapshot(t.db, orgId)).prepaidBalance).toBe(500);
  });

  it('refuses bad amounts, unknown buckets and unknown orgs, writing nothing', async () => {
    const { orgId } = await makeOrg(t.db);
    const before = await fingerprint(t.db);
    for (const credits of [0, -5, 2.5, 1e12, Number.NaN]) {
      await expectDomainError(
        grantCredits(t.db, { orgId, bucket: 'prepaid', credits, idempotencyKey: `k${credits}` }),
        'VALIDATION_FAILED',
      );
    }
    await expectDomainError(
      grantCredits(t.db, { orgId, bucket: 'bonus' as 'prepaid', credits: 5, idempotencyKey: 'k' }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      grantCredits(t.db, { orgId: 'org_nope', bucket: 'prepaid', credits: 5, idempotencyKey: 'k' }),
      'NOT_FOUND',
    );
    expect(await fingerprint(t.db)).toEqual(before);
  });
});

describe('ledger rows', () => {
  it('are append-only: updates, deletes and truncates are refused by the database', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'pro' });
    await expect(
      sql`UPDATE credit_ledger SET prepaid_delta = 1 WHERE org_id = ${orgId}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM credit_ledger WHERE org_id = ${orgId}`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`TRUNCATE credit_ledger CASCADE`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it('cannot be bypassed into holding more than the balance', async () => {
    const { orgId } = await makeOrg(t.db, { prepaid: 10 });
    await expect(
      sql`UPDATE credit_balances SET reserved_credits = 11 WHERE org_id = ${orgId}`.execute(t.db),
    ).rejects.toThrow(/check constraint/);
  });
});
