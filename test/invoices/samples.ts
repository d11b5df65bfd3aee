import { issueInvoice, type InvoiceInput } from '../../src/invoices/checks';
import type { Invoice, InvoiceLineInput } from '../../src/invoices/document';
import { AD_PLATFORMS } from '../../src/wallet/statuses';

/**
 * Sample documents, built as the lead's invoice builder would build them (issueInvoice), with the
 * numbers of the real price table: Pro is $109.00 a month, Team $499.00, overage 12¢ a credit on Pro and
 * 10¢ on Team, pack_500 $41.00, the platform fee 5% per bill.
 */

export const AGENCY_ORG = {
  id: 'org_2481fa5c-7d1e-4c38-9f0a-5b7e1c2d3a4f',
  name: 'Northwind Creative Ltd.',
  mode: 'agency',
  billingTimeZone: 'America/New_York',
} as const;

const SPRING = { projectId: 'prj_0c5e2f9a-1b7d-4e3c-8a6f-2d4b9e7c1a50', projectName: 'Spring launch' };
const EVERGREEN = { projectId: 'prj_7f3a9b2c-6d1e-4a8f-b5c3-9e2d7a1f4b60', projectName: 'Evergreen' };

/** Wallet debits of one project on one platform: spend, and the fee at 5% rounded per bill. */
function debits(
  project: { projectId: string; projectName?: string },
  platform: (typeof AD_PLATFORMS)[number],
  spendCents: number,
  feeCents: number,
): InvoiceLineInput[] {
  const label = { meta: 'Meta', tiktok: 'TikTok', google: 'Google' }[platform];
  return [
    {
      kind: 'ad_spend',
      description: `${label} ad spend`,
      ...project,
      platform,
      quantity: 1,
      amountCents: spendCents,
    },
    {
      kind: 'platform_fee',
      description: `Platform fee on ${label} spend`,
      ...project,
      platform,
      quantity: 1,
      amountCents: feeCents,
    },
  ];
}

/**
 * An agency org in March 2026: Pro, upgraded to Team on the 20th (two proration lines), credits in two
 * projects down to overage, a pack, ad spend on three platforms in two projects, usage over allowance,
 * top-ups, a withdrawal and collections, and a wallet that ended $43.21 below zero.
 */
export function agencyInput(): InvoiceInput {
  return {
    number: 'LB-2026-000042',
    kind: 'invoice',
    org: { ...AGENCY_ORG },
    periodStart: '2026-03-07T17:00:00.000Z',
    periodEnd: '2026-04-07T16:00:00.000Z',
    issuedAt: '2026-04-07T16:00:05.000Z',
    // Given out of display order on purpose: issuing puts every line in its group.
    lines: [
      ...debits(EVERGREEN, 'google', 98_765, 4_938),
      {
        kind: 'subscription',
        description: 'Pro plan, monthly (1 seat)',
        quantity: 1,
        unitCents: 10_900,
        amountCents: 10_900,
      },
      {
        kind: 'proration',
        description: 'Unused time on Pro after Mar 20, 2026',
        quantity: 1,
        unitCents: -5_977,
        amountCents: -5_977,
      },
      {
        kind: 'proration',
        description: 'Remaining time on Team after Mar 20, 2026',
        quantity: 1,
        unitCents: 27_364,
        amountCents: 27_364,
      },
      {
        kind: 'credits_included',
        description: 'Included credits',
        ...SPRING,
        quantity: 4_200,
        amountCents: 0,
      },
      {
        kind: 'credits_rolled_over',
        description: 'Rolled-over credits',
        ...SPRING,
        quantity: 1_000,
        amountCents: 0,
      },
      ...debits(SPRING, 'tiktok', 250_000, 12_500),
      ...debits(SPRING, 'meta', 1_234_567, 61_728),
      {
        kind: 'credits_included',
        description: 'Included credits',
        ...EVERGREEN,
        quantity: 1_800,
        amountCents: 0,
      },
      {
        kind: 'credits_prepaid',
        description: 'Prepaid credits (packs)',
        ...EVERGREEN,
        quantity: 500,
        amountCents: 0,
      },
      {
        kind: 'credits_overage',
        description: 'Overage credits',
        ...EVERGREEN,
        quantity: 1_250,
        unitCents: 10,
        amountCents: 12_500,
      },
      ...debits(EVERGREEN, 'meta', 5_000, 250),
      {
        kind: 'credit_pack',
        description: 'Credit pack pack_500 (500 credits)',
        quantity: 1,
        unitCents: 4_100,
        amountCents: 4_100,
      },
      {
        kind: 'usage_overage',
        description: 'Workflow runs over allowance',
        metric: 'workflow_runs',
        quantity: 1_200,
        unitCents: 2,
        amountCents: 2_400,
      },
      {
        kind: 'usage_overage',
        description: 'SDK events over allowance (per 1,000)',
        metric: 'sdk_events',
        quantity: 35,
        unitCents: 50,
        amountCents: 1_750,
      },
    ],
    payments: [
      {
        kind: 'collection',
        method: 'card',
        reference: 'pi_renewal_0042',
        at: '2026-03-07T17:00:02.000Z',
        amountCents: 10_900,
      },
      {
        kind: 'top_up',
        method: 'card',
        reference: 'wallet-top-up:auto:2026-03-08',
        at: '2026-03-08T14:12:00.000Z',
        amountCents: 1_000_000,
      },
      {
        kind: 'collection',
        method: 'card',
        reference: 'pi_upgrade_team',
        at: '2026-03-20T15:30:00.000Z',
        amountCents: 21_387,
      },
      {
        kind: 'top_up',
        method: 'wire',
        reference: 'wire:NWC-2026-03',
        at: '2026-03-24T13:00:00.000Z',
        amountCents: 500_000,
      },
      {
        kind: 'withdrawal',
        method: 'card',
        reference: 're_3PqL0x',
        at: '2026-03-30T18:45:00.000Z',
        amountCents: 20_000,
      },
    ],
    walletBalanceEndCents: -4_321,
  };
}

export const agencyInvoice = (): Invoice => issueInvoice(agencyInput());

/** A BYO org: no wallet, so no media-spend lines, no platform fees, no top-ups; one collection. */
export function byoInput(): InvoiceInput {
  return {
    number: 'LB-2026-000043',
    kind: 'invoice',
    org: { id: 'org_5d2c8e1a-3f4b-4c6d-9e7a-1b2c3d4e5f60', name: 'Solo Studio', mode: 'byo' },
    periodStart: '2026-03-01T00:00:00.000Z',
    periodEnd: '2026-04-01T00:00:00.000Z',
    issuedAt: '2026-04-01T00:00:03.000Z',
    lines: [
      {
        kind: 'subscription',
        description: 'Plus plan, monthly (1 seat)',
        quantity: 1,
        unitCents: 1_900,
        amountCents: 1_900,
      },
      {
        kind: 'credits_included',
        description: 'Included credits',
        projectId: 'prj_solo',
        quantity: 100,
        amountCents: 0,
      },
      {
        kind: 'credits_overage',
        description: 'Overage credits',
        projectId: 'prj_solo',
        quantity: 40,
        unitCents: 15,
        amountCents: 600,
      },
      {
        kind: 'usage_overage',
        description: 'Media storage over allowance (GB)',
        metric: 'media_storage_gb',
        quantity: 12,
        unitCents: 25,
        amountCents: 300,
      },
    ],
    payments: [
      {
        kind: 'collection',
        method: 'card',
        reference: 'pi_renewal_0043',
        at: '2026-03-01T00:00:02.000Z',
        amountCents: 1_900,
      },
    ],
  };
}

export const byoInvoice = (): Invoice => issueInvoice(byoInput());

/** A credit note for invoice 42: the Meta fee of Spring launch was billed twice, and 250 overage credits. */
export function creditNoteInput(): InvoiceInput {
  return {
    number: 'LB-2026-000051',
    kind: 'credit_note',
    correctsNumber: 'LB-2026-000042',
    memo: 'The platform fee on Spring launch Meta spend was billed twice; 250 credits were counted twice.',
    org: { ...AGENCY_ORG },
    periodStart: '2026-03-07T17:00:00.000Z',
    periodEnd: '2026-04-07T16:00:00.000Z',
    issuedAt: '2026-04-15T14:00:00.000Z',
    lines: [
      {
        kind: 'credits_overage',
        description: 'Overage credits billed in error',
        ...EVERGREEN,
        quantity: 250,
        unitCents: -10,
        amountCents: -2_500,
      },
      {
        kind: 'platform_fee',
        description: 'Platform fee on Meta spend, billed twice',
        ...SPRING,
        platform: 'meta',
        quantity: 1,
        amountCents: -30_864,
      },
    ],
    payments: [],
  };
}

export const creditNote = (): Invoice => issueInvoice(creditNoteInput());

/**
 * 401 lines over many pages: the subscription, 57 projects with included credits, spend and a fee on
 * three platforms each (7 lines), plus one project's overage. Amounts vary so that no two rows read alike.
 */
export function longInput(): InvoiceInput {
  const lines: InvoiceLineInput[] = [
    {
      kind: 'subscription',
      description: 'Team plan, monthly (10 seats)',
      quantity: 1,
      unitCents: 49_900,
      amountCents: 49_900,
    },
  ];
  for (let p = 1; p <= 57; p++) {
    const project = { projectId: `prj_${String(p).padStart(3, '0')}`, projectName: `Client ${p}` };
    lines.push({
      kind: 'credits_included',
      description: 'Included credits',
      ...project,
      quantity: 100 + p,
      amountCents: 0,
    });
    AD_PLATFORMS.forEach((platform, k) => {
      const spend = 10_000 * p + 137 * k + 1;
      lines.push(...debits(project, platform, spend, Math.round(spend / 20)));
    });
  }
  lines.push({
    kind: 'credits_overage',
    description: 'Overage credits',
    projectId: 'prj_057',
    projectName: 'Client 57',
    quantity: 3_000,
    unitCents: 10,
    amountCents: 30_000,
  });
  return {
    number: 'LB-2026-000100',
    kind: 'invoice',
    org: { id: 'org_big', name: 'Big Agency Group', mode: 'agency' },
    periodStart: '2026-05-01T00:00:00.000Z',
    periodEnd: '2026-06-01T00:00:00.000Z',
    issuedAt: '2026-06-01T00:00:10.000Z',
    lines,
    payments: [],
    walletBalanceEndCents: 125_000,
  };
}

export const longInvoice = (): Invoice => issueInvoice(longInput());
