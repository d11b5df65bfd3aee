import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCharge, settleCharge } from '../../src/billing/charges';
import { planPrice, TIER_PRICES } from '../../src/billing/prices';
import { completePurchase, openCreditPackPurchase } from '../../src/credit-packs/purchases';
import { captureCredits, reserveCredits } from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import type { Db } from '../../src/db/pool';
import type { Invoice } from '../../src/invoices/document';
import { issueCreditNote, issuePeriodInvoice } from '../../src/invoices/issue';
import { upcomingInvoice } from '../../src/invoices/queries';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { creditWire, recordSpend } from '../../src/wallet/ledger';
import { createTestDatabase, type TestDatabase } from '../support/database';

const START = new Date('2026-03-01T00:00:00Z');
const END = new Date('2026-04-01T00:00:00Z');
const NEXT_END = new Date('2026-05-01T00:00:00Z');
const day = (n: number) => new Date(START.getTime() + n * 86_400_000);

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

let generations = 0;
/** Generations on `projects`, all held before any ends, each then charged `actualCredits`. */
async function generate(db: Db, orgId: string, projects: string[], actualCredits: number) {
  const ids: string[] = [];
  for (const projectId of projects) {
    const generationId = `gen_invoice_${++generations}`;
    const reserved = await reserveCredits(db, { orgId, projectId, generationId, format: 'video_remix' });
    expect(reserved.status).toBe('reserved');
    ids.push(generationId);
  }
  for (const generationId of ids) await captureCredits(db, { orgId, generationId, actualCredits });
}

const close = (db: Db, orgId: string, allowance = 0) =>
  closeCreditPeriod(db, {
    orgId,
    periodStart: START,
    at: END,
    nextPeriodEnd: NEXT_END,
    allowance,
    rollover: { days: 0, cap: 0 },
  });

/**
 * An agency org's month with every kind of leg: a renewal, a credit pack, generations on two projects
 * that use the allowance, the pack and then overage, platform bills on three platforms that take the
 * wallet below zero, a wire top-up; and legs on both sides of the period, which must stay off it.
 */
async function agencyMonth(db: Db) {
  const org = await createOrganization(db, {
    name: 'Northwind Creative',
    tier: 'pro',
    mode: 'agency',
    anchor: START,
  });
  const evergreen = org.projectId;
  const spring = (await createProject(db, org.orgId, 'Spring launch')).projectId;

  const price = planPrice({ tier: 'pro', interval: 'month', seats: 1 }).totalCents;
  const renewal = await openCharge(db, {
    orgId: org.orgId,
    businessKey: `renewal:${org.orgId}:${START.toISOString()}`,
    kind: 'renewal',
    amountCents: price,
    lines: [{ description: 'Pro plan, monthly (1 seat)', amountCents: price }],
    at: START,
  });
  await settleCharge(db, renewal.business_key, {
    status: 'succeeded',
    attempts: 1,
    paymentIntentId: 'pi_renewal',
  });

  await creditWire(db, { orgId: org.orgId, amountCents: 500_00, reference: `wire-${org.orgId}`, at: day(1) });
  const pack = await openCreditPackPurchase(db, {
    orgId: org.orgId,
    packId: 'pack_100',
    idempotencyKey: 'pack-1',
  });
  await completePurchase(db, {
    orgId: org.orgId,
    purchaseId: pack.id,
    paymentIntentId: `pi_pack_${org.orgId}`,
  });

  // Pro's 1,000 included and the pack's 100 cover the first captures; the rest is overage.
  await generate(db, org.orgId, [evergreen, spring, evergreen, spring, evergreen, spring], 700);

  const bill = (
    n: number,
    platform: 'meta' | 'tiktok' | 'google',
    projectId: string,
    cents: number,
    at: Date,
  ) =>
    recordSpend(db, {
      orgId: org.orgId,
      platform,
      projectId,
      amountCents: cents,
      occurredAt: at,
      externalId: `bill-${n}`,
    });
  await bill(1, 'meta', evergreen, 120_00, day(2));
  await bill(2, 'meta', evergreen, 80_33, day(3));
  await bill(3, 'google', evergreen, 987_65, day(10));
  await bill(4, 'tiktok', spring, 45_01, day(20));
  await bill(5, 'meta', spring, 1_99, new Date(END.getTime() - 1));
  await close(db, org.orgId, 1000);
  // The next period's: on no invoice of this one.
  await bill(6, 'meta', spring, 10_00, END);
  await generate(db, org.orgId, [spring], 10);
  return { orgId: org.orgId, evergreen, spring, price };
}

/** The period's legs again, summed in plain SQL beside the builder's own queries. */
async function recompute(db: Db, orgId: string) {
  const closeId = sql`(SELECT l.id FROM credit_ledger l JOIN credit_periods p
      ON p.org_id = l.org_id AND p.idempotency_key = l.idempotency_key
    WHERE p.org_id = ${orgId} AND p.period_start = ${START})`;
  const credits = await sql<{ project_id: string; used: string; overage: string }>`
    SELECT project_id, sum(used_delta) AS used, sum(overage_delta) AS overage FROM credit_ledger
    WHERE org_id = ${orgId} AND entry_type = 'capture' AND id < ${closeId} GROUP BY project_id`.execute(db);
  const wallet = await sql<{ project_id: string; platform: string; spend: string; fee: string }>`
    SELECT project_id, platform, sum(spend_cents) AS spend, sum(fee_cents) AS fee FROM wallet_debits
    WHERE org_id = ${orgId} AND occurred_at >= ${START} AND occurred_at < ${END}
    GROUP BY project_id, platform`.execute(db);
  const balance = await sql<{ cents: string }>`
    SELECT sum(balance_delta) AS cents FROM wallet_ledger WHERE org_id = ${orgId} AND effective_at < ${END}`.execute(
    db,
  );
  return { credits: credits.rows, wallet: wallet.rows, balanceCents: Number(balance.rows[0]!.cents) };
}

const sumOf = (
  invoice: Invoice,
  pick: (l: Invoice['lines'][number]) => boolean,
  field: 'quantity' | 'amountCents',
) => invoice.lines.filter(pick).reduce((s, l) => s + l[field], 0);

describe("a closed period's invoice", () => {
  it('is the sum of its ledger legs, to the cent and the credit, and leaves the next period alone', async () => {
    const m = await agencyMonth(t.db);
    const { invoice, dueCents, number } = await issuePeriodInvoice(t.db, {
      orgId: m.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    expect(number).toMatch(/^LB-2026-\d{6}$/);
    const legs = await recompute(t.db, m.orgId);

    // Credits: per project, every credit a capture used is on a credit line, overage priced.
    const centsPerCredit = TIER_PRICES.pro.overageCentsPerCredit!;
    for (const row of legs.credits) {
      const mine = (l: Invoice['lines'][number]) =>
        l.projectId === row.project_id && l.kind.startsWith('credits_');
      expect(sumOf(invoice, mine, 'quantity')).toBe(Number(row.used));
      const over = (l: Invoice['lines'][number]) => mine(l) && l.kind === 'credits_overage';
      expect(sumOf(invoice, over, 'quantity')).toBe(Number(row.overage));
      expect(sumOf(invoice, over, 'amountCents')).toBe(Number(row.overage) * centsPerCredit);
    }
    const overage = legs.credits.reduce((s, r) => s + Number(r.overage), 0);
    expect(overage).toBeGreaterThan(0);
    expect(dueCents).toBe(overage * centsPerCredit);

    // Wallet: spend and fee per project and platform; the bill at the period's last millisecond is in.
    expect(legs.wallet).toHaveLength(4);
    for (const row of legs.wallet) {
      const at = (kind: string) => (l: Invoice['lines'][number]) =>
        l.kind === kind && l.projectId === row.project_id && l.platform === row.platform;
      expect(sumOf(invoice, at('ad_spend'), 'amountCents')).toBe(Number(row.spend));
      expect(sumOf(invoice, at('platform_fee'), 'amountCents')).toBe(Number(row.fee));
    }
    expect(legs.balanceCents).toBeLessThan(0);
    expect(invoice.totals.owedCents).toBe(-legs.balanceCents);

    // The subscription and the pack were paid when they happened: lines, and collections.
    expect(invoice.lines.filter((l) => l.kind === 'subscription').map((l) => l.amountCents)).toEqual([
      m.price,
    ]);
    expect(invoice.lines.filter((l) => l.kind === 'credit_pack')).toHaveLength(1);
    expect(
      invoice.payments
        .filter((p) => p.kind === 'collection')
        .map((p) => p.reference)
        .sort(),
    ).toEqual([`pi_pack_${m.orgId}`, 'pi_renewal']);
    expect(invoice.payments.filter((p) => p.kind === 'top_up').map((p) => p.amountCents)).toEqual([500_00]);

    const sum = invoice.lines.reduce((s, l) => s + l.amountCents, 0);
    expect(invoice.totals.totalCents).toBe(sum);
    expect(invoice.totals.chargedCents + invoice.totals.paidFromWalletCents).toBe(sum);
  });

  it('puts a platform bill that arrives after its period was invoiced on the next invoice, never on none', async () => {
    const m = await agencyMonth(t.db);
    const march = await issuePeriodInvoice(t.db, {
      orgId: m.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    // Meta bills a day of March on 2 April, after March's invoice.
    await recordSpend(t.db, {
      orgId: m.orgId,
      platform: 'meta',
      projectId: m.evergreen,
      amountCents: 33_00,
      occurredAt: day(30),
      externalId: `late-${m.orgId}`,
    });
    await closeCreditPeriod(t.db, {
      orgId: m.orgId,
      periodStart: END,
      at: NEXT_END,
      nextPeriodEnd: new Date('2026-06-01T00:00:00Z'),
      allowance: 0,
      rollover: { days: 0, cap: 0 },
    });
    const april = await issuePeriodInvoice(t.db, {
      orgId: m.orgId,
      periodStart: END,
      periodEnd: NEXT_END,
      at: NEXT_END,
    });
    const spend = (i: { invoice: Invoice }, projectId: string) =>
      i.invoice.lines
        .filter((l) => l.kind === 'ad_spend' && l.platform === 'meta' && l.projectId === projectId)
        .map((l) => l.amountCents);
    // March's invoice is as issued; April's has April's own bill (agencyMonth's, at the period's start)
    // and the late one.
    expect(spend(march, m.evergreen)).toEqual([120_00 + 80_33]);
    expect(spend(april, m.evergreen)).toEqual([33_00]);
    expect(spend(april, m.spring)).toEqual([10_00]);
    // Every bill is on exactly one invoice.
    const billed = await t.db
      .selectFrom('wallet_debits')
      .select((eb) => eb.fn.sum<string>('spend_cents').as('cents'))
      .where('org_id', '=', m.orgId)
      .executeTakeFirstOrThrow();
    const invoiced = [march, april]
      .flatMap((i) => i.invoice.lines)
      .filter((l) => l.kind === 'ad_spend')
      .reduce((sum, l) => sum + l.amountCents, 0);
    expect(invoiced).toBe(Number(billed.cents));
  });

  it('is issued once, however often or concurrently its close asks, and numbered without gaps', async () => {
    const orgs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createOrganization(t.db, { name: `Numbered ${i}`, tier: 'plus', anchor: START }),
      ),
    );
    for (const o of orgs) await close(t.db, o.orgId);
    const issue = (orgId: string) =>
      issuePeriodInvoice(t.db, { orgId, periodStart: START, periodEnd: END, at: END });
    const issued = await Promise.all(orgs.flatMap((o) => [issue(o.orgId), issue(o.orgId), issue(o.orgId)]));
    const numbers = new Set(issued.map((i) => i.number));
    expect(numbers.size).toBe(orgs.length);
    for (let i = 0; i < orgs.length; i++) {
      expect(new Set(issued.slice(i * 3, i * 3 + 3).map((x) => x.number)).size).toBe(1);
    }
    const rows = await t.db
      .selectFrom('invoices')
      .select(['sequence', 'org_id'])
      .where(
        'org_id',
        'in',
        orgs.map((o) => o.orgId),
      )
      .orderBy('sequence')
      .execute();
    expect(rows).toHaveLength(orgs.length);
    const { last_sequence } = await t.db.selectFrom('invoice_numbers').selectAll().executeTakeFirstOrThrow();
    // The newest numbers are these, consecutive: no number was taken and lost by the losing repeats.
    expect(rows.map((r) => r.sequence)).toEqual(
      Array.from({ length: orgs.length }, (_, i) => last_sequence - orgs.length + 1 + i),
    );
  });

  it('refuses to be edited or deleted once issued', async () => {
    const org = await createOrganization(t.db, { name: 'Immutable', tier: 'plus', anchor: START });
    await close(t.db, org.orgId);
    const { number } = await issuePeriodInvoice(t.db, {
      orgId: org.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    await expect(
      t.db.updateTable('invoices').set({ total_cents: 0 }).where('number', '=', number).execute(),
    ).rejects.toThrow(/immutable/);
    await expect(t.db.deleteFrom('invoices').where('number', '=', number).execute()).rejects.toThrow(
      /immutable/,
    );
  });

  it('has no wallet lines, no fee and nothing owed for a BYO org', async () => {
    const org = await createOrganization(t.db, {
      name: 'Own Ads Inc',
      tier: 'pro',
      mode: 'byo',
      anchor: START,
    });
    await generate(t.db, org.orgId, [org.projectId], 300);
    await close(t.db, org.orgId);
    const { invoice } = await issuePeriodInvoice(t.db, {
      orgId: org.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    expect(invoice.org.mode).toBe('byo');
    expect(invoice.lines.some((l) => l.paidBy === 'wallet')).toBe(false);
    expect(invoice.totals).toMatchObject({ paidFromWalletCents: 0, owedCents: 0 });
    expect(sumOf(invoice, (l) => l.kind.startsWith('credits_'), 'quantity')).toBe(300);
  });

  it('is corrected by a credit note of its own number that reverses it, never by an edit', async () => {
    const m = await agencyMonth(t.db);
    const issued = await issuePeriodInvoice(t.db, {
      orgId: m.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    const at = new Date('2026-04-03T00:00:00Z');
    const actor = { type: 'admin' as const, id: 'finance@northwind' };
    const note = await issueCreditNote(t.db, {
      orgId: m.orgId,
      number: issued.number,
      reason: 'Meta billed twice',
      at,
      actor,
    });
    expect(note.invoice).toMatchObject({
      kind: 'credit_note',
      correctsNumber: issued.number,
      memo: 'Meta billed twice',
      periodStart: START.toISOString(),
      payments: [],
    });
    expect(Number(note.number.slice(-6))).toBeGreaterThan(Number(issued.number.slice(-6)));
    expect(note.invoice.totals.totalCents).toBe(-issued.invoice.totals.totalCents);
    expect(note.invoice.totals.owedCents).toBe(0);
    // Both documents are on the org's audit trail, each with who issued it.
    const trail = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id'])
      .where('org_id', '=', m.orgId)
      .where('action', 'like', 'invoice.%')
      .orderBy('seq')
      .execute();
    expect(trail).toEqual([
      { action: 'invoice.issued', actor_type: 'workflow', actor_id: `org-billing:${m.orgId}` },
      { action: 'invoice.credit_note_issued', actor_type: 'admin', actor_id: 'finance@northwind' },
    ]);
    // Once per invoice; the invoice as it was issued.
    const again = await issueCreditNote(t.db, {
      orgId: m.orgId,
      number: issued.number,
      reason: 'again',
      at,
      actor,
    });
    expect(again).toMatchObject({ number: note.number, duplicate: true });
    const stored = await t.db
      .selectFrom('invoices')
      .select('document')
      .where('number', '=', issued.number)
      .executeTakeFirstOrThrow();
    expect(stored.document).toEqual(issued.invoice);

    await expect(
      issueCreditNote(t.db, { orgId: m.orgId, number: note.number, reason: 'a note of a note', at, actor }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const other = await createOrganization(t.db, { name: 'Someone else', tier: 'plus', anchor: START });
    await expect(
      issueCreditNote(t.db, { orgId: other.orgId, number: issued.number, reason: 'not mine', at, actor }),
    ).rejects.toMatchObject({ code: 'INVOICE_NOT_FOUND' });
    await expect(
      issueCreditNote(t.db, { orgId: m.orgId, number: issued.number, reason: '  ', at, actor }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('is refused for a period that has not closed', async () => {
    const org = await createOrganization(t.db, { name: 'Still open', tier: 'plus', anchor: START });
    await expect(
      issuePeriodInvoice(t.db, { orgId: org.orgId, periodStart: START, periodEnd: END, at: END }),
    ).rejects.toThrow(/no closed credit period/);
    expect(
      await t.db.selectFrom('invoices').select('number').where('org_id', '=', org.orgId).execute(),
    ).toEqual([]);
  });
});

describe("the open period's preview (upcomingInvoice)", () => {
  it('is the invoice the period would get so far, numbered upcoming; it stores and numbers nothing', async () => {
    const org = await createOrganization(t.db, { name: 'Preview', tier: 'pro', mode: 'byo', anchor: START });
    await generate(t.db, org.orgId, [org.projectId, org.projectId], 700);
    const sequence = async () =>
      (await t.db.selectFrom('invoice_numbers').selectAll().executeTakeFirstOrThrow()).last_sequence;
    const before = await sequence();

    const preview = await upcomingInvoice(t.db, org.orgId, day(15));
    expect(preview.invoice).toMatchObject({
      number: 'upcoming',
      kind: 'invoice',
      periodStart: START.toISOString(),
      periodEnd: END.toISOString(),
      issuedAt: day(15).toISOString(),
    });
    // Pro's 1,000 included credits, then 400 of overage at 12¢: due when the period closes.
    expect(sumOf(preview.invoice, (l) => l.kind.startsWith('credits_'), 'quantity')).toBe(1400);
    expect(preview.dueCents).toBe(400 * TIER_PRICES.pro.overageCentsPerCredit!);
    expect(preview.collection).toBe('pending');
    expect(await sequence()).toBe(before);
    expect(await t.db.selectFrom('invoices').where('org_id', '=', org.orgId).execute()).toEqual([]);

    // Nothing else happening, the period's invoice is its preview, numbered.
    await close(t.db, org.orgId);
    const issued = await issuePeriodInvoice(t.db, {
      orgId: org.orgId,
      periodStart: START,
      periodEnd: END,
      at: END,
    });
    expect(issued.invoice.lines).toEqual(preview.invoice.lines);
    expect(issued.invoice.totals).toEqual(preview.invoice.totals);
    expect(issued.dueCents).toBe(preview.dueCents);
    // The preview has moved on to the next period, empty so far.
    const next = await upcomingInvoice(t.db, org.orgId, new Date(END.getTime() + 1000));
    expect(next.invoice).toMatchObject({ periodStart: END.toISOString(), periodEnd: NEXT_END.toISOString() });
    expect(next.invoice.lines.filter((l) => l.kind.startsWith('credits_'))).toEqual([]);
    expect(next.collection).toBe('nothing_due');
  });

  it('is NOT_FOUND for an org that does not exist', async () => {
    await expect(upcomingInvoice(t.db, 'org_nope', day(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
