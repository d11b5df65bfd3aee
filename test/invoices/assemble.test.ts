import { describe, expect, it } from 'vitest';
import { TIER_PRICES } from '../../src/billing/prices';
import { assembleInvoice } from '../../src/invoices/assemble';
import { issueInvoice } from '../../src/invoices/checks';
import type { PeriodLegs } from '../../src/invoices/legs';

const start = new Date('2026-03-01T00:00:00Z');
const end = new Date('2026-04-01T00:00:00Z');

const legs = (over: Partial<PeriodLegs> = {}): PeriodLegs => ({
  org: { id: 'org_1', name: 'Northwind', mode: 'agency', timeZone: 'America/New_York' },
  tier: 'pro',
  start,
  end,
  closed: true,
  charges: [],
  credits: [],
  packs: [],
  walletDebits: [],
  topUps: [],
  withdrawals: [],
  walletBalanceAtEndCents: 0,
  walletLedgerThrough: 0,
  ...over,
});

describe('assembleInvoice (pure)', () => {
  it('bills only overage and usage itself; what was charged when it happened is a collection', () => {
    const a = assembleInvoice(
      legs({
        charges: [
          {
            businessKey: 'renewal:org_1',
            kind: 'renewal',
            status: 'succeeded',
            amountCents: 109_00,
            lines: [{ description: 'Pro, monthly', amountCents: 109_00 }],
            paymentIntentId: 'pi_r',
            refundId: null,
            chargedAt: start,
          },
          {
            // A downgrade refunded over two payments: each part repeats the change's lines.
            businessKey: 'plan-change:org_1#1',
            kind: 'refund',
            status: 'succeeded',
            amountCents: 20_00,
            lines: [{ description: 'Unused time on Pro', amountCents: -50_00 }],
            paymentIntentId: 'pi_r',
            refundId: 're_1',
            chargedAt: new Date('2026-03-10T00:00:00Z'),
          },
        ],
        credits: [
          { projectId: 'prj_a', projectName: 'A', rolledOver: 5, included: 900, prepaid: 0, overage: 40 },
          { projectId: 'prj_b', projectName: 'B', rolledOver: 0, included: 0, prepaid: 0, overage: 0 },
        ],
        packs: [
          {
            purchaseId: 'cpp_1',
            packId: 'pack_100',
            credits: 100,
            amountCents: 10_00,
            paymentIntentId: 'pi_p',
            settledAt: start,
          },
        ],
        walletDebits: [
          {
            projectId: 'prj_a',
            projectName: 'A',
            platform: 'meta',
            bills: 2,
            spendCents: 200_01,
            feeCents: 10_00,
          },
          {
            projectId: 'prj_b',
            projectName: 'B',
            platform: 'google',
            bills: 1,
            spendCents: 5_00,
            feeCents: 0,
          },
        ],
        walletBalanceAtEndCents: -12_34,
      }),
      [{ metric: 'sdk_events', overQuantity: 1_500, description: '1,500 SDK events over', amountCents: 12 }],
    );
    const overage = 40 * TIER_PRICES.pro.overageCentsPerCredit!;
    expect(a.dueCents).toBe(overage + 12);
    expect(a.lines.map((l) => [l.kind, l.projectId ?? null, l.quantity, l.amountCents])).toEqual([
      ['subscription', null, 1, 109_00],
      ['proration', null, 1, -20_00],
      ['credits_rolled_over', 'prj_a', 5, 0],
      ['credits_included', 'prj_a', 900, 0],
      ['credits_overage', 'prj_a', 40, overage],
      ['credit_pack', null, 1, 10_00],
      ['ad_spend', 'prj_a', 1, 200_01],
      ['platform_fee', 'prj_a', 1, 10_00],
      // No fee line of $0: the fee is shown where there is one.
      ['ad_spend', 'prj_b', 1, 5_00],
      ['usage_overage', null, 1_500, 12],
    ]);
    expect(a.payments.map((p) => [p.kind, p.amountCents, p.reference])).toEqual([
      ['collection', 109_00, 'pi_r'],
      ['collection', 10_00, 'pi_p'],
    ]);
    const invoice = issueInvoice({
      number: 'LB-2026-000001',
      kind: 'invoice',
      org: a.org,
      periodStart: start.toISOString(),
      periodEnd: end.toISOString(),
      issuedAt: end.toISOString(),
      lines: a.lines,
      payments: a.payments,
      walletBalanceEndCents: a.walletBalanceEndCents,
    });
    expect(invoice.totals).toMatchObject({ owedCents: 12_34, collectedCents: 119_00 });
  });

  it('has no wallet figures for an org without a wallet', () => {
    const a = assembleInvoice(
      legs({
        org: { id: 'org_2', name: 'Own Ads', mode: 'byo', timeZone: null },
        walletBalanceAtEndCents: null,
      }),
      [],
    );
    expect(a.walletBalanceEndCents).toBeUndefined();
    expect(a.org).toEqual({ id: 'org_2', name: 'Own Ads', mode: 'byo' });
    expect(a).toMatchObject({ lines: [], payments: [], dueCents: 0 });
  });
});
