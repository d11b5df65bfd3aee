import { TIER_PRICES } from '../billing/prices';
import { tierFacts } from '../billing/tiers';
import type { InvoiceLineInput, InvoiceOrg, InvoicePayment } from './document';
import { PLATFORM_LABELS } from './labels';
import type { PeriodLegs } from './legs';

/** One metric's usage over the plan's allowance in the period, priced (./period-usage.ts). */
export interface UsageLeg {
  metric: string;
  overQuantity: number;
  /** What was over and at what rate, in words: the pro-rata price has no whole unit price. */
  description: string;
  amountCents: number;
}

export interface AssembledInvoice {
  org: InvoiceOrg;
  lines: InvoiceLineInput[];
  payments: InvoicePayment[];
  walletBalanceEndCents?: number;
  /**
   * What the invoice itself collects through Stripe: its overage and usage lines, which no other charge
   * covers. The subscription, its changes and credit packs were charged when they happened and appear
   * as collections; wallet lines were paid from the wallet.
   */
  dueCents: number;
}

const CHARGE_LINE_KIND = { renewal: 'subscription', upgrade: 'proration' } as const;

/**
 * The lines and payments of a period's invoice, from its ledger legs (pure: ./legs.ts reads them). Every
 * line is one grouping of legs, so each amount is a sum a query can show again.
 */
export function assembleInvoice(legs: PeriodLegs, usage: readonly UsageLeg[]): AssembledInvoice {
  const lines: InvoiceLineInput[] = [];
  const payments: InvoicePayment[] = [];
  const collection = (at: Date, amountCents: number, reference: string | null) =>
    payments.push({
      kind: 'collection',
      at: at.toISOString(),
      amountCents,
      ...(reference ? { reference } : {}),
    });

  for (const charge of legs.charges) {
    if (charge.kind === 'renewal' || charge.kind === 'upgrade') {
      for (const line of charge.lines) {
        lines.push({
          kind: CHARGE_LINE_KIND[charge.kind],
          description: line.description,
          quantity: 1,
          amountCents: line.amountCents,
        });
      }
    } else if (charge.kind === 'refund') {
      // A refund is split over the payments it goes back to, each part a row of its own with the
      // change's lines repeated: the part's amount is the line, the lines only its description.
      lines.push({
        kind: 'proration',
        description: `Refund of unused time: ${charge.lines.map((l) => l.description).join('; ')}`,
        quantity: 1,
        amountCents: -charge.amountCents,
      });
    }
    // 'overage' rows come from before invoices collected it themselves: the credit lines price it.
    if (charge.status === 'succeeded' && charge.kind !== 'refund') {
      collection(charge.chargedAt, charge.amountCents, charge.paymentIntentId);
    }
  }

  const overagePrice = TIER_PRICES[legs.tier].overageCentsPerCredit ?? 0;
  let dueCents = 0;
  for (const c of legs.credits) {
    const project = { projectId: c.projectId, projectName: c.projectName };
    const credits = (kind: InvoiceLineInput['kind'], quantity: number, description: string) => {
      if (quantity > 0) lines.push({ kind, description, ...project, quantity, amountCents: 0 });
    };
    credits('credits_rolled_over', c.rolledOver, 'Credits used from rolled-over credits');
    credits('credits_included', c.included, `Credits used from the ${tierFacts(legs.tier).name} allowance`);
    credits('credits_prepaid', c.prepaid, 'Credits used from credit packs');
    if (c.overage > 0) {
      const amountCents = c.overage * overagePrice;
      lines.push({
        kind: 'credits_overage',
        description: 'Credits used beyond the balance (overage)',
        ...project,
        quantity: c.overage,
        unitCents: overagePrice,
        amountCents,
      });
      dueCents += amountCents;
    }
  }

  for (const pack of legs.packs) {
    lines.push({
      kind: 'credit_pack',
      description: `Credit pack ${pack.packId}: ${pack.credits.toLocaleString('en-US')} credits`,
      quantity: 1,
      unitCents: pack.amountCents,
      amountCents: pack.amountCents,
    });
    // Granted only once paid: every pack in the period was collected when it was bought.
    collection(pack.settledAt ?? legs.end, pack.amountCents, pack.paymentIntentId);
  }

  for (const d of legs.walletDebits) {
    const where = { projectId: d.projectId, projectName: d.projectName, platform: d.platform };
    const bills = `${d.bills} ${d.bills === 1 ? 'bill' : 'bills'}`;
    const platform = PLATFORM_LABELS[d.platform];
    lines.push({
      kind: 'ad_spend',
      description: `${platform} ad spend (${bills})`,
      ...where,
      quantity: 1,
      amountCents: d.spendCents,
    });
    if (d.feeCents !== 0) {
      lines.push({
        kind: 'platform_fee',
        description: `Platform fee on ${platform} spend`,
        ...where,
        quantity: 1,
        amountCents: d.feeCents,
      });
    }
  }

  for (const u of usage) {
    if (u.overQuantity <= 0) continue;
    lines.push({
      kind: 'usage_overage',
      description: u.description,
      metric: u.metric,
      quantity: u.overQuantity,
      amountCents: u.amountCents,
    });
    dueCents += u.amountCents;
  }

  for (const t of legs.topUps) {
    payments.push({
      kind: 'top_up',
      method: t.method,
      at: t.settledAt.toISOString(),
      amountCents: t.amountCents,
      ...(t.reference ? { reference: t.reference } : {}),
    });
  }
  for (const w of legs.withdrawals) {
    payments.push({
      kind: 'withdrawal',
      at: w.settledAt.toISOString(),
      amountCents: w.refundCents,
      ...(w.reference ? { reference: w.reference } : {}),
    });
  }

  return {
    org: {
      id: legs.org.id,
      name: legs.org.name,
      mode: legs.org.mode,
      ...(legs.org.timeZone ? { billingTimeZone: legs.org.timeZone } : {}),
    },
    lines,
    payments,
    ...(legs.walletBalanceAtEndCents === null ? {} : { walletBalanceEndCents: legs.walletBalanceAtEndCents }),
    dueCents,
  };
}
