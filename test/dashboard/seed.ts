import { subDays, subMonths } from 'date-fns';
import { startOrgBilling } from '../../src/billing/enroll';
import { periodContaining } from '../../src/billing/period';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { creditWire, recordSpend, startTopUp } from '../../src/wallet/ledger';
import { closeAndIssue, generate } from '../api/invoice-support';
import type { DashboardStack } from './stack';

export interface SeededOrg {
  orgId: string;
  name: string;
  projectId: string;
  /** Its second project. */
  springId: string;
  /** A key with the dashboard scope (it also reads the API as a partner key). */
  apiKey: string;
  /** Issued invoices, oldest first. */
  invoices: string[];
}

const DAY = 86_400_000;

/**
 * An agency org on Pro with history, as the periods would have left it: two closed credit periods, each
 * with its invoice issued (closeCreditPeriod then issuePeriodInvoice, as a period close does), then the
 * open period, five days old, with generations on two projects and ad spend on two platforms; a card on
 * file in the stack's localstripe, and its billing workflow running on the stack's worker from the
 * current period on, like every org's.
 */
export async function seedAgencyOrg(stack: DashboardStack, now = new Date()): Promise<SeededOrg> {
  const { db } = stack;
  const anchor = subDays(subMonths(now, 2), 5);
  const first = periodContaining(anchor, anchor);
  const second = periodContaining(anchor, first.end);
  const open = periodContaining(anchor, second.end);
  const name = 'Northwind Creative';
  const org = await createOrganization(db, { name, tier: 'pro', mode: 'agency', anchor });
  const spring = (await createProject(db, org.orgId, 'Spring launch')).projectId;
  let bills = 0;
  const bill = (platform: 'meta' | 'google' | 'tiktok', projectId: string, cents: number, at: Date) =>
    recordSpend(db, {
      orgId: org.orgId,
      platform,
      projectId,
      amountCents: cents,
      occurredAt: at,
      externalId: `seed-bill-${++bills}`,
    });

  await creditWire(db, {
    orgId: org.orgId,
    amountCents: 2_000_00,
    reference: `wire-${org.orgId}`,
    at: new Date(first.start.getTime() + DAY),
  });
  await generate(db, org.orgId, [
    [org.projectId, 700],
    [spring, 450],
  ]);
  await bill('meta', org.projectId, 320_00, new Date(first.start.getTime() + 3 * DAY));
  await bill('google', spring, 145_67, new Date(first.start.getTime() + 20 * DAY));
  const firstInvoice = await closeAndIssue(db, org.orgId, first.start, first.end, second.end);

  await generate(db, org.orgId, [[spring, 380]]);
  // Early in the period: more than 30 days ago, so outside the spend summary's default window.
  await bill('tiktok', spring, 89_99, new Date(second.start.getTime() + 2 * DAY));
  const secondInvoice = await closeAndIssue(db, org.orgId, second.start, second.end, open.end);

  // The open period: usage for the charts, spend on the last few days for the spend charts and runway.
  await generate(db, org.orgId, [
    [org.projectId, 120],
    [spring, 75],
    [spring, 40],
  ]);
  for (const [daysAgo, platform, projectId, cents] of [
    [4, 'meta', org.projectId, 42_10],
    [3, 'google', spring, 18_75],
    [2, 'meta', spring, 27_30],
    [1, 'tiktok', org.projectId, 12_05],
  ] as const) {
    await bill(platform, projectId, cents, subDays(now, daysAgo));
  }

  const { customerId } = await attachDefaultCard({ db, stripe: stack.stripe }, org.orgId, 'pm_card_visa');
  // A bank account for ACH top-ups (localstripe knows SEPA debits, not us_bank_account; the wallet takes
  // either). Under npm run dev, localstripe settles bank debits at once.
  const bank = await stack.stripe.paymentMethods.create({
    type: 'sepa_debit',
    sepa_debit: { iban: 'DE89370400440532013000' },
    billing_details: { name: 'Northwind Finance', email: 'finance@northwind.test' },
  });
  await stack.stripe.paymentMethods.attach(bank.id, { customer: customerId });
  await startOrgBilling(db, stack.billing, org.orgId);
  return {
    orgId: org.orgId,
    name,
    projectId: org.projectId,
    springId: spring,
    apiKey: await stack.dashboardKey(org.orgId),
    invoices: [firstInvoice.number, secondInvoice.number],
  };
}

/** Another org, BYO (no wallet), on Plus: what a second customer's key would open. */
export async function seedByoOrg(
  stack: DashboardStack,
): Promise<{ orgId: string; name: string; apiKey: string }> {
  const name = 'Other Co';
  const org = await createOrganization(stack.db, { name, tier: 'plus', mode: 'byo' });
  await startOrgBilling(stack.db, stack.billing, org.orgId);
  return { orgId: org.orgId, name, apiKey: await stack.dashboardKey(org.orgId) };
}

/**
 * An agency org with an ACH top-up in flight: started in the wallet ledger as the API starts one, its
 * wallet workflow not told yet (nothing here nudges it), so it stays pending with its expected date.
 */
export async function seedPendingAchOrg(stack: DashboardStack): Promise<{ orgId: string; apiKey: string }> {
  const org = await createOrganization(stack.db, { name: 'Harbor Media', tier: 'pro', mode: 'agency' });
  await creditWire(stack.db, {
    orgId: org.orgId,
    amountCents: 300_00,
    reference: 'harbor-wire',
    at: new Date(),
  });
  await startTopUp(stack.db, {
    orgId: org.orgId,
    method: 'ach',
    amountCents: 1_250_00,
    idempotencyKey: 'harbor-ach-1',
    at: new Date(),
  });
  return { orgId: org.orgId, apiKey: await stack.dashboardKey(org.orgId) };
}
