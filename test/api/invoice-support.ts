import { expect } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { openCharge, settleCharge } from '../../src/billing/charges';
import { planPrice } from '../../src/billing/prices';
import { captureCredits, reserveCredits } from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import type { Db } from '../../src/db/pool';
import { newId } from '../../src/ids';
import type { Invoice } from '../../src/invoices/document';
import { invoiceCollectionKey } from '../../src/invoices/ids';
import { issuePeriodInvoice } from '../../src/invoices/issue';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { creditWire, recordSpend } from '../../src/wallet/ledger';

/**
 * Orgs with issued invoices, issued as a period close issues them (closeCreditPeriod, then
 * issuePeriodInvoice): for the invoice routes' tests and the contract test.
 */

export const JAN_1 = new Date('2026-01-01T00:00:00Z');
export const FEB_1 = new Date('2026-02-01T00:00:00Z');
export const MAR_1 = new Date('2026-03-01T00:00:00Z');
export const APR_1 = new Date('2026-04-01T00:00:00Z');
export const MAY_1 = new Date('2026-05-01T00:00:00Z');
const day = (start: Date, n: number) => new Date(start.getTime() + n * 86_400_000);

export interface Issued {
  orgId: string;
  apiKey: string;
  /** Oldest first. */
  invoices: { number: string; dueCents: number; invoice: Invoice }[];
  projectId: string;
}

/** Generations of [project, actual credits], all held before any ends (so overage can be reached). */
export async function generate(db: Db, orgId: string, runs: [projectId: string, actualCredits: number][]) {
  const held: [string, number][] = [];
  for (const [projectId, actualCredits] of runs) {
    const generationId = newId('gen');
    const r = await reserveCredits(db, { orgId, projectId, generationId, format: 'video_remix' });
    expect(r.status).toBe('reserved');
    held.push([generationId, actualCredits]);
  }
  for (const [generationId, actualCredits] of held)
    await captureCredits(db, { orgId, generationId, actualCredits });
}

export async function closeAndIssue(db: Db, orgId: string, start: Date, end: Date, next: Date) {
  await closeCreditPeriod(db, {
    orgId,
    periodStart: start,
    at: end,
    nextPeriodEnd: next,
    allowance: 1000,
    rollover: { days: 0, cap: 0 },
  });
  return issuePeriodInvoice(db, { orgId, periodStart: start, periodEnd: end, at: end });
}

/**
 * An agency org on Pro billed for three months: January with credits down to overage on two projects
 * and ad spend on two platforms (its overage collected), February with a little of each, March with
 * nothing; and, in the open April, more generations and spend for the preview.
 */
export async function agencyQuarter(db: Db): Promise<Issued> {
  const org = await createOrganization(db, {
    name: 'Northwind Creative',
    tier: 'pro',
    mode: 'agency',
    anchor: JAN_1,
  });
  const spring = (await createProject(db, org.orgId, 'Spring launch')).projectId;
  const { apiKey } = await createApiKey(db, org.orgId);
  await creditWire(db, {
    orgId: org.orgId,
    amountCents: 500_00,
    reference: `wire-${org.orgId}`,
    at: day(JAN_1, 1),
  });
  // The month's renewal, paid at its start: the invoice's subscription line and a collection.
  const price = planPrice({ tier: 'pro', interval: 'month', seats: 1 }).totalCents;
  const renewal = `renewal:${org.orgId}:${JAN_1.toISOString()}`;
  await openCharge(db, {
    orgId: org.orgId,
    businessKey: renewal,
    kind: 'renewal',
    amountCents: price,
    lines: [{ description: 'Pro plan, monthly (1 seat)', amountCents: price }],
    at: JAN_1,
  });
  await settleCharge(db, renewal, { status: 'succeeded', attempts: 1, paymentIntentId: 'pi_renewal' });
  let bills = 0;
  const bill = (platform: 'meta' | 'google', projectId: string, cents: number, at: Date) =>
    recordSpend(db, {
      orgId: org.orgId,
      platform,
      projectId,
      amountCents: cents,
      occurredAt: at,
      externalId: `bill-${++bills}`,
    });

  await generate(db, org.orgId, [
    [org.projectId, 700],
    [org.projectId, 700],
    [spring, 300],
  ]);
  await bill('meta', org.projectId, 120_00, day(JAN_1, 3));
  await bill('google', spring, 45_67, day(JAN_1, 20));
  const jan = await closeAndIssue(db, org.orgId, JAN_1, FEB_1, MAR_1);
  // What the billing workflow does with an invoice that charges something: collect it under its number.
  await openCharge(db, {
    orgId: org.orgId,
    businessKey: invoiceCollectionKey(jan.number),
    kind: 'invoice',
    amountCents: jan.dueCents,
    lines: [{ description: `Invoice ${jan.number}`, amountCents: jan.dueCents }],
    at: FEB_1,
  });
  await settleCharge(db, invoiceCollectionKey(jan.number), {
    status: 'succeeded',
    attempts: 1,
    paymentIntentId: 'pi_jan',
  });

  await generate(db, org.orgId, [[spring, 50]]);
  await bill('meta', spring, 9_99, day(FEB_1, 5));
  const feb = await closeAndIssue(db, org.orgId, FEB_1, MAR_1, APR_1);
  const mar = await closeAndIssue(db, org.orgId, MAR_1, APR_1, MAY_1);

  await generate(db, org.orgId, [
    [spring, 600],
    [spring, 600],
  ]);
  await bill('google', org.projectId, 30_00, day(APR_1, 4));
  return { orgId: org.orgId, apiKey, projectId: org.projectId, invoices: [jan, feb, mar] };
}
